import AuralAudio
import AuralBlob
import AuralRPC
@testable import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// The stage handler alone, on a real blob store, without a queue.
@Suite("Transcription stage")
struct TranscriptionStageTests {
    func blob(_ key: String) -> Aural_V1_BlobRef {
        var blob = Aural_V1_BlobRef()
        blob.key = key
        return blob
    }

    func task(inputs: [String]) -> Aural_V1_Task {
        var task = Aural_V1_Task()
        task.taskID = "task-1"
        task.jobID = "job-1"
        task.outputPrefix = "jobs/job-1"
        task.inputs = inputs.map(blob)
        return task
    }

    @Test func prefersTheFLACVocalsStem() {
        let keys = ["jobs/j/stems/drums.flac", "jobs/j/stems/vocals.mp3", "jobs/j/stems/vocals.flac", "jobs/j/stems/instrumental.flac"]
        #expect(TranscriptionStage.vocalsStem(in: keys.map(blob))?.key == "jobs/j/stems/vocals.flac")
        #expect(TranscriptionStage.vocalsStem(in: ["jobs/j/stems/vocals.mp3"].map(blob))?.key == "jobs/j/stems/vocals.mp3")
        #expect(TranscriptionStage.vocalsStem(in: ["jobs/j/stems/drums.flac"].map(blob)) == nil)
    }

    @Test func writesFramesJSONAndSummary() async throws {
        let blobs = try LocalBlobStore(root: try temporaryDirectory("stage-blobs"))
        let stemPath = try blobs.path(for: "jobs/job-1/stems/vocals.flac")
        try FileManager.default.createDirectory(atPath: (stemPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AudioFile.write(AudioBuffer(sampleRate: 44100, channels: [KnownMelody.audio()]), to: stemPath, format: .flac)

        let progress = StageProgress(publishInterval: .zero) { _ in }
        let stage = TranscriptionStage(blobs: blobs, work: BlockingWorkPool(width: 1))
        let output = try await stage.run(task(inputs: ["jobs/job-1/stems/vocals.flac"]), progress: progress)

        #expect(output.artifacts.map(\.key) == ["jobs/job-1/frames.json"])
        #expect(output.summary["num_frames"] == "300" && output.summary["num_notes"] == String(KnownMelody.notes.count))
        #expect(progress.percent == 100)
        let document = try JSONSerialization.jsonObject(with: try blobs.read("jobs/job-1/frames.json"))
        #expect(framesSchemaViolations(document) == [])
        // No temporary file is left beside the result.
        let folder = (try blobs.path(for: "jobs/job-1/frames.json") as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["frames.json", "stems"])
    }

    @Test func corruptOrMissingStemFailsWithoutRetry() async throws {
        let blobs = try LocalBlobStore(root: try temporaryDirectory("stage-blobs"))
        try blobs.write("jobs/job-1/stems/vocals.flac", data: Data("fLaC but not really".utf8))
        let stage = TranscriptionStage(blobs: blobs, work: BlockingWorkPool(width: 1))
        for inputs in [["jobs/job-1/stems/vocals.flac"], ["jobs/job-1/stems/vocals.wav"], ["jobs/job-1/stems/drums.flac"]] {
            await #expect {
                try await stage.run(task(inputs: inputs), progress: StageProgress { _ in })
            } throws: { error in
                guard let failure = error as? StageFailure else { return false }
                return !failure.retryable && (failure.message.contains(inputs[0]) || failure.message.contains("no vocals stem"))
            }
        }
    }
}
