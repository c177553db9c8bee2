import Foundation

/// The analysis stages a job runs through. Raw values are stored in the
/// database and used in blob keys, so they never change.
public enum PipelineStage: String, Sendable, CaseIterable, Codable {
    case separation, transcription, chords, speech, embedding
}

public enum JobState: String, Sendable, CaseIterable {
    case queued, processing, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// `blocked` waits for the tasks it depends on; `queued` may be leased.
public enum TaskState: String, Sendable {
    case blocked, queued, leased, completed, failed, cancelled
}

public struct AudioSummary: Sendable, Equatable {
    public var duration: Double
    public var sampleRate: Int
    public var channels: Int
    public var format: String
    public var frames: Int64

    public init(duration: Double, sampleRate: Int, channels: Int, format: String, frames: Int64) {
        self.duration = duration
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        self.frames = frames
    }
}

/// A file a job owns in blob storage.
public struct BlobReference: Sendable, Equatable {
    public var key: String
    public var contentType: String
    public var size: UInt64
    public var sha256: String

    public init(key: String, contentType: String, size: UInt64, sha256: String = "") {
        self.key = key
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}

public struct Artifact: Sendable, Equatable {
    /// Unique within the job, e.g. `stems/vocals.mp3`.
    public var name: String
    public var stage: PipelineStage
    public var blob: BlobReference

    public init(name: String, stage: PipelineStage, blob: BlobReference) {
        self.name = name
        self.stage = stage
        self.blob = blob
    }
}

public struct NewJob: Sendable {
    /// A lowercase UUID; generated when nil.
    public var id: String?
    public var input: BlobReference
    public var inputFilename: String
    public var audio: AudioSummary?
    public var stages: [PipelineStage]
    /// Settings the stages read (e.g. `num_speakers` for speech).
    public var options: [String: String]

    public init(id: String? = nil, input: BlobReference, inputFilename: String, audio: AudioSummary? = nil, stages: [PipelineStage] = [],
                options: [String: String] = [:]) {
        self.id = id
        self.input = input
        self.inputFilename = inputFilename
        self.audio = audio
        self.stages = stages
        self.options = options
    }
}

public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var state: JobState
    /// The stage running (or that failed); nil while queued and once done.
    public var stage: PipelineStage?
    public var progress: Double
    public var input: BlobReference
    public var inputFilename: String
    public var audio: AudioSummary?
    public var metadata: [String: String]
    public var options: [String: String]
    public var errorMessage: String?
    public var createdAtMs: Int64
    public var startedAtMs: Int64?
    public var completedAtMs: Int64?
    public var artifacts: [Artifact]
}

/// A task handed to a worker, with everything it needs to run.
public struct LeasedTask: Sendable, Equatable {
    public var taskID: String
    public var jobID: String
    public var stage: PipelineStage
    public var attempt: Int
    public var leaseToken: String
    public var leaseExpiresAtMs: Int64
    public var input: BlobReference
    public var inputFilename: String
    /// Where the stage writes its outputs: `jobs/{job_id}`.
    public var outputPrefix: String
    /// Artifacts of the stages this one depends on.
    public var inputs: [Artifact]
    /// The job's settings.
    public var options: [String: String]
}

/// Lifecycle events, stored in the event log and published on `events-out`.
public struct JobEventRecord: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case progress(stage: PipelineStage, stagePercent: Double, jobPercent: Double)
        case stageChanged(stage: PipelineStage, state: JobState)
        case completed(artifacts: [Artifact])
        case failed(stage: PipelineStage?, message: String)
        case cancelled
    }

    public var jobID: String
    public var sequence: UInt64
    public var timeMs: Int64
    public var kind: Kind

    public init(jobID: String, sequence: UInt64, timeMs: Int64, kind: Kind) {
        self.jobID = jobID
        self.sequence = sequence
        self.timeMs = timeMs
        self.kind = kind
    }
}

public enum QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    /// The caller no longer holds the lease (expired, released, finished or
    /// cancelled); nothing was changed.
    case leaseLost(String)
    /// The request does not fit the job's state (e.g. cancel a finished job).
    case conflict(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound(let detail), .leaseLost(let detail), .conflict(let detail), .invalid(let detail): detail
        }
    }
}

extension JobRecord {
    /// Seconds until the job should finish, extrapolated from its progress so
    /// far (progress is weighted by the stages' measured cost, see
    /// `Pipeline.weight`); nil while it is queued or too early to tell, 0 once finished.
    public func estimatedSecondsRemaining(now: Int64) -> Double? {
        if state.isFinished { return 0 }
        guard state == .processing, let startedAtMs, progress >= 2 else { return nil }
        let elapsed = Double(max(0, now - startedAtMs)) / 1000
        return (elapsed * (100 - progress) / progress).rounded()
    }
}
