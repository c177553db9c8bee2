import AuralAudio
import AuralBlob
import AuralPitch
import AuralRPC
import AuralSession
import AuralWire
import Foundation

/// Melody transcription as a queue stage: the job's vocals stem (an artifact
/// of the separation stage) in, `frames.json` under the task's output prefix out.
public struct TranscriptionStage: StageHandler {
    public let stage = PipelineStage.transcription
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let transcriber: MelodyTranscriber

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, transcriber: MelodyTranscriber = MelodyTranscriber()) {
        self.blobs = blobs
        self.work = work
        self.transcriber = transcriber
    }

    /// The vocals stem among the task's inputs, lossless FLAC preferred to
    /// WAV, and either to the MP3 copy.
    static func vocalsStem(in inputs: [Aural_V1_BlobRef]) -> Aural_V1_BlobRef? {
        let vocals = inputs.filter { (($0.key as NSString).lastPathComponent as NSString).deletingPathExtension == "vocals" }
        for preferred in ["flac", "wav", "mp3"] {
            if let stem = vocals.first(where: { ($0.key as NSString).pathExtension.lowercased() == preferred }) { return stem }
        }
        return vocals.first
    }

    public func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput {
        guard let stem = Self.vocalsStem(in: task.inputs) else {
            let keys = task.inputs.map(\.key).joined(separator: ", ")
            throw StageFailure("no vocals stem among the task's inputs [\(keys)]; transcription needs the separation stage",
                               retryable: false)
        }
        let stemPath = try blobs.stageInputPath(stem.key, describedAs: "vocals stem")
        let transcriber = self.transcriber
        let transcription = try await work.run {
            do {
                return try transcriber.transcribeFile(at: stemPath, progress: { try progress.report($0) }).transcription
            } catch let error as AudioError {
                // A corrupt stem is corrupt on every attempt.
                throw StageFailure("vocals stem \(stem.key): \(error)", retryable: false)
            }
        }
        let artifact: Aural_V1_BlobRef
        do {
            artifact = try blobs.storeJSON(FramesJSON.encode(transcription), key: task.outputPrefix + "/frames.json")
        } catch {
            throw StageFailure("\(error)", retryable: true)
        }
        let voiced = transcription.track.frames.lazy.filter(\.voiced).count
        return StageOutput(artifacts: [artifact], summary: [
            "num_frames": String(transcription.track.frames.count),
            "num_notes": String(transcription.notes.count),
            "voiced_frames": String(voiced),
            "tuning_cents": String(format: "%.1f", transcription.tuningCents),
        ])
    }
}
