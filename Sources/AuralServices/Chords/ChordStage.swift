import AuralAudio
import AuralBlob
import AuralChords
import AuralRPC
import AuralSession
import AuralWire
import Foundation

/// Chords as a queue stage: the job's mix in, `chords.json` under the task's
/// output prefix (`jobs/{id}/chords.json`); key, tempo and chord count go
/// into the job's metadata.
public struct ChordStage: StageHandler {
    public let stage = PipelineStage.chords
    let blobs: LocalBlobStore
    let work: BlockingWorkPool
    let analyzer: ChordAnalyzer

    public init(blobs: LocalBlobStore, work: BlockingWorkPool, analyzer: ChordAnalyzer = ChordAnalyzer()) {
        self.blobs = blobs
        self.work = work
        self.analyzer = analyzer
    }

    public func run(_ task: Aural_V1_Task, progress: StageProgress) async throws -> StageOutput {
        let inputPath = try blobs.stageInputPath(task.input.key)
        let analyzer = self.analyzer
        let (_, analysis) = try await work.run {
            do {
                return try analyzer.analyzeFile(at: inputPath, progress: { try progress.report($0) })
            } catch let error as AudioError {
                // A corrupt or unsupported input fails the same way every time.
                throw StageFailure("\(error)", retryable: false)
            }
        }
        let artifact = try blobs.storeJSON(ChordsJSON.encode(analysis), key: task.outputPrefix + "/chords.json")
        // Key and tempo are left out when unknown (silence, no pulse), so the
        // Edge's results show null rather than an empty string.
        var summary = ["num_chords": String(analysis.chords.filter { !$0.label.isNoChord }.count)]
        if let key = analysis.key { summary["key"] = key.description }
        if let tempo = analysis.tempoBPM { summary["tempo_bpm"] = String(format: "%.2f", tempo) }
        return StageOutput(artifacts: [artifact], summary: summary)
    }
}
