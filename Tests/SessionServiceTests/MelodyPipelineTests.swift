import AuralAudio
import AuralBlob
import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

@Suite("Separation then transcription, real processes")
struct MelodyPipelineTests {
    /// Three sung notes, centred, over a quiet chord panned left.
    static func song(seconds: Double = 3, sampleRate: Int = 22050) -> AudioBuffer {
        let melody: [(start: Double, end: Double, midi: Double)] = [(0.2, 0.9, 60), (1.0, 1.8, 64), (1.9, 2.8, 67)]
        var left = [Float](repeating: 0, count: Int(seconds * Double(sampleRate))), right = left
        var phase = 0.0
        for i in left.indices {
            let t = Double(i) / Double(sampleRate)
            let chord = [48.0, 55].reduce(0.0) { $0 + sin(2 * Double.pi * 440 * pow(2, ($1 - 69) / 12) * t) }
            left[i] = Float(0.05 * chord)
            guard let note = melody.first(where: { $0.start <= t && t < $0.end }) else { continue }
            phase += 440 * pow(2, (note.midi - 69) / 12) / Double(sampleRate)
            let voice = Float(0.3 * (sin(2 * Double.pi * phase) + 0.5 * sin(4 * Double.pi * phase) + 0.25 * sin(6 * Double.pi * phase)))
            left[i] += voice
            right[i] += voice
        }
        return AudioBuffer(sampleRate: sampleRate, channels: [left, right])
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func defaultPipelineWritesFramesJSON(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind, pipeline: "separation,transcription") { stack in
            let events = try Subscriber()
            try events.dial(stack.environment["AURAL_EVENTS_OUT"]!)
            try events.subscribe(prefix: "job.")
            try stack.startSeparationWorker()
            try stack.startTranscriptionWorker()
            let path = try temporaryDirectory("input") + "/song.wav"
            try AudioFile.write(Self.song(), to: path, format: .wav(.pcm16))
            // No stages in the request: SessionService's configured pipeline applies.
            let created = try await stack.createJob(stages: [], bytes: try Data(contentsOf: URL(fileURLWithPath: path)))

            var seen: [Aural_V1_JobEvent] = []
            while !seen.contains(where: { if case .completed = $0.kind { true } else if case .failed = $0.kind { true } else { false } }) {
                let event = try await events.next(timeout: .seconds(120)).decode(Aural_V1_JobEvent.self)
                if event.jobID == created.jobID { seen.append(event) }
            }
            // Both stages announced themselves, separation first, and progress reached the job. Only
            // separation's progress is certain to: a 3-s transcription can finish before SessionService
            // has turned its first progress report into a job event, and a finished job has no progress.
            let stages = seen.compactMap { event -> Aural_V1_Stage? in if case .stage = event.kind { event.stage.stage } else { nil } }
            #expect(stages == [.separation, .transcription])
            #expect(seen.contains { $0.progress.stageProgress.stage == .separation && $0.progress.jobPercent > 0 })

            let job = try await stack.job(created.jobID)
            #expect(job.status == .completed, "\(job.errorMessage)")
            #expect(job.metadata["num_frames"] == "300")
            let key = "jobs/\(job.jobID)/frames.json"
            let artifact = try #require(job.artifacts.first { $0.key == key })
            let blobs = try LocalBlobStore(root: stack.dataDirectory + "/blobs")
            let (size, sha256) = (try blobs.size(key), try blobs.sha256(key))
            #expect(artifact.size == size && artifact.sha256 == sha256)

            let document = try #require(try JSONSerialization.jsonObject(with: try blobs.read(key)) as? [String: Any])
            #expect(document["schema"] as? String == "aural.frames/1")
            #expect((document["frames"] as? [Any])?.count == 300)
            let notes = try #require(document["notes"] as? [[String: Any]])
            #expect(job.metadata["num_notes"] == String(notes.count))
            #expect(Set(notes.compactMap { $0["midi"] as? Int }).isSuperset(of: [60, 64, 67]))
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func transcriptionWithoutAVocalsStemFailsClearly(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            try stack.startTranscriptionWorker()
            let created = try await stack.createJob(stages: [.transcription], bytes: Data("RIFF not audio".utf8))
            let job = try await stack.waitForJob(created.jobID) { $0.status == .failed }
            #expect(job.errorMessage.contains("no vocals stem"))
            #expect(job.errorMessage.contains("after 1 attempt"))
        }
    }
}
