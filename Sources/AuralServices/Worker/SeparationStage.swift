import AuralAudio
import AuralBlob
import AuralRPC
import AuralSeparation
import AuralSession
import AuralWire
import Foundation

/// Separation as a queue stage: the job's input in, every stem as MP3 (what
/// clients download by default) and FLAC (lossless, for `?format=wav|flac`)
/// under `jobs/{id}/stems/`.
public struct SeparationStage: StageHandler {
    public let stage = PipelineStage.separation
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let separator: Separator

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, separator: Separator = Separator()) {
        self.blobs = blobs
        self.work = work
        self.separator = separator
    }

    public func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput {
        let inputPath = try blobs.stageInputPath(task.input.key)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("aural-task-\(task.taskID)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let separator = self.separator
        let (info, files) = try await work.run {
            do {
                return try separator.separateFile(at: inputPath, into: scratch, formats: [.mp3Default, .flac],
                                                  progress: { try progress.report($0) })
            } catch let error as AudioError {
                // A corrupt or unsupported input fails the same way every time; a write may succeed later.
                if case .writeFailed = error { throw StageFailure("\(error)", retryable: true) }
                throw StageFailure("\(error)", retryable: false)
            }
        }
        let artifacts = try files.map { file in
            try blobs.storeStem(file, under: task.outputPrefix + "/stems", checksum: true)
        }
        return StageOutput(artifacts: artifacts, summary: [
            "duration": String(format: "%.3f", info.duration),
            "sample_rate": String(info.sampleRate),
            "channels": String(info.channelCount),
        ])
    }
}
