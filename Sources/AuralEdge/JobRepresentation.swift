import AuralWire
import Foundation

/// The job status body of DESIGN.md §4, built from SessionService's `Job`.
struct JobStatusBody: Encodable, Sendable {
    struct Audio: Encodable, Sendable {
        let duration: Double
        let sample_rate: Int
        let channels: Int
        let format: String
    }

    let job_id: String
    let status: String
    let stage: String?
    let progress: Int
    let created_at: String
    let started_at: String?
    let completed_at: String?
    let error_message: String?
    let input_filename: String
    let file_size: UInt64
    let audio: Audio?
    let eta_seconds: Double?

    init(_ job: Aural_V1_Job) {
        job_id = job.jobID
        status = job.status.apiName
        stage = job.stage.apiName
        progress = Int(job.progress.rounded(.down))
        created_at = Timestamp.iso8601(milliseconds: job.createdAtUnixMs)
        started_at = job.startedAtUnixMs > 0 ? Timestamp.iso8601(milliseconds: job.startedAtUnixMs) : nil
        completed_at = job.completedAtUnixMs > 0 ? Timestamp.iso8601(milliseconds: job.completedAtUnixMs) : nil
        error_message = job.errorMessage.isEmpty ? nil : job.errorMessage
        input_filename = job.inputFilename
        file_size = job.fileSize
        audio = job.hasAudio && job.audio.sampleRate > 0
            ? Audio(duration: job.audio.durationSeconds, sample_rate: Int(job.audio.sampleRate),
                    channels: Int(job.audio.channels), format: job.audio.format)
            : nil
        eta_seconds = job.etaSeconds >= 0 ? job.etaSeconds : nil
    }

    // Optionals are written as null, not left out: the contract lists every field.
    enum CodingKeys: String, CodingKey {
        case job_id, status, stage, progress, created_at, started_at, completed_at, error_message, input_filename, file_size, audio,
             eta_seconds
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job_id, forKey: .job_id)
        try container.encode(status, forKey: .status)
        try container.encode(stage, forKey: .stage)
        try container.encode(progress, forKey: .progress)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(started_at, forKey: .started_at)
        try container.encode(completed_at, forKey: .completed_at)
        try container.encode(error_message, forKey: .error_message)
        try container.encode(input_filename, forKey: .input_filename)
        try container.encode(file_size, forKey: .file_size)
        try container.encode(audio, forKey: .audio)
        try container.encode(eta_seconds, forKey: .eta_seconds)
    }
}

struct JobListBody: Encodable, Sendable {
    let jobs: [JobStatusBody]
    let next_cursor: String?
}

/// `GET /jobs/{id}/results`: where each output is and what the stages found.
struct JobResultsBody: Encodable, Sendable {
    struct Results: Encodable, Sendable {
        let stems: [String: String]
        let processed_frames: String?
        let chords: String?
        let metadata: Metadata
    }
    struct Metadata: Encodable, Sendable {
        let duration: Double?
        let tempo_bpm: Double?
        let key: String?
        let num_frames: Int?
        let num_chords: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(duration, forKey: .duration)
            try container.encode(tempo_bpm, forKey: .tempo_bpm)
            try container.encode(key, forKey: .key)
            try container.encode(num_frames, forKey: .num_frames)
            try container.encode(num_chords, forKey: .num_chords)
        }
        enum CodingKeys: String, CodingKey { case duration, tempo_bpm, key, num_frames, num_chords }
    }

    let job_id: String
    let status: String
    let results: Results
}

enum Timestamp {
    static func iso8601(milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Aural_V1_JobStatus {
    var apiName: String {
        switch self {
        case .queued: "queued"
        case .processing: "processing"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }

    init?(apiName: String) {
        switch apiName {
        case "queued": self = .queued
        case "processing": self = .processing
        case "completed": self = .completed
        case "failed": self = .failed
        case "cancelled": self = .cancelled
        default: return nil
        }
    }
}

extension Aural_V1_Stage {
    var apiName: String? {
        switch self {
        case .separation: "separation"
        case .transcription: "transcription"
        case .chords: "chords"
        case .speech: "speech"
        case .embedding: "embedding"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}
