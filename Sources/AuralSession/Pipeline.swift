/// The job DAG: which stages wait for which, and how much of a job's
/// progress each stage is worth (its expected share of the running time).
public enum Pipeline {
    /// The music pipeline of DESIGN.md §2. Transcription reads the vocals
    /// stem, so it waits for separation; chords read the mix, so they start
    /// at once instead of waiting for separation as well.
    public static let music: [PipelineStage] = [.separation, .transcription, .chords]

    /// The stages this build has workers for: SessionService's default pipeline.
    public static let implemented: [PipelineStage] = [.separation, .transcription, .chords]

    public static func dependencies(of stage: PipelineStage, among stages: [PipelineStage]) -> [PipelineStage] {
        switch stage {
        case .transcription: stages.contains(.separation) ? [.separation] : []
        case .separation, .chords, .speech, .embedding: []
        }
    }

    /// Relative cost, measured on the 2-core reference machine (separation
    /// dominates; see docs/BENCHMARKS.md).
    public static func weight(of stage: PipelineStage) -> Double {
        switch stage {
        case .separation: 6
        case .transcription: 2
        case .chords: 1
        case .speech: 8
        case .embedding: 1
        }
    }
}
