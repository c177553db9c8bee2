import AuralAudio
import Foundation

/// Everything the chords stage reports about a piece.
public struct ChordAnalysis: Sendable {
    public var duration: Double
    /// nil when the piece has no pitched content.
    public var key: MusicalKey?
    /// nil when no beat was found (silence, no rhythm).
    public var tempoBPM: Double?
    public var beats: [Double]
    public var chords: [ChordSegment]
    public var tuningSemitones: Double

    public init(duration: Double, key: MusicalKey?, tempoBPM: Double?, beats: [Double], chords: [ChordSegment], tuningSemitones: Double) {
        self.duration = duration
        self.key = key
        self.tempoBPM = tempoBPM
        self.beats = beats
        self.chords = chords
        self.tuningSemitones = tuningSemitones
    }
}

/// Chords, beats, tempo and key of a piece: onset strength → tempo → beats
/// (dynamic programming); spectral-peak chroma with tuning estimation →
/// beat-synchronous chroma → templates and Viterbi smoothing; key profiles
/// plus the chord histogram. Pure computation over an `AnalysisSignal`.
public struct ChordAnalyzer: Sendable {
    public var chroma = ChromaExtractor()
    public var onsets = OnsetStrength()
    public var tempo = TempoEstimator()
    public var beatTracker = BeatTracker()
    public var recognizer = ChordRecognizer()
    public var keyEstimator = KeyEstimator()
    /// Segment length for chords when the piece has no beat.
    public var fallbackSegmentSeconds = 0.5

    public init() {}

    /// The intermediate results, for the benchmark's reference and diagnostics.
    public struct Details: Sendable {
        public var analysis: ChordAnalysis
        public var features: ChromaFeatures
    }

    public func analyze(_ signal: AnalysisSignal) -> ChordAnalysis {
        analyzeWithDetails(signal, progress: { _ in }).analysis
    }

    /// `progress` hears after each step (rhythm, chroma, chords and key) the
    /// fraction done, and may throw to stop.
    public func analyzeWithDetails(_ signal: AnalysisSignal, progress: (Double) throws -> Void) rethrows -> Details {
        let envelope = onsets.compute(signal)
        let period = tempo.estimate(envelope)
        let beats = period.map { beatTracker.track(envelope, bpm: $0) } ?? []
        try progress(0.3)
        let features = chroma.extract(signal)
        try progress(0.8)
        // Without a beat, chords are still read on a fixed grid.
        let grid = beats.isEmpty ? Array(stride(from: fallbackSegmentSeconds, to: signal.duration, by: fallbackSegmentSeconds)) : beats
        let segments = SegmentChroma(features, beats: grid, duration: signal.duration)
        let chords = recognizer.recognize(segments)
        let key = chords.contains { !$0.label.isNoChord } ? keyEstimator.estimate(features, chords: chords) : nil
        let analysis = ChordAnalysis(duration: signal.duration, key: key, tempoBPM: Self.tempo(of: beats) ?? period,
                                     beats: beats, chords: chords, tuningSemitones: features.tuningSemitones)
        try progress(1)
        return Details(analysis: analysis, features: features)
    }

    /// Decodes `path` (any format AuralAudio reads) and analyses it. Decoding
    /// is the first 60% of `progress`; `progress` may throw to stop.
    public func analyzeFile(at path: String, progress: (Double) throws -> Void = { _ in }) throws -> (AudioInfo, ChordAnalysis) {
        let (info, signal) = try AnalysisSignal.read(path: path, progress: { try progress(0.6 * $0) })
        let analysis = try analyzeWithDetails(signal, progress: { try progress(0.6 + 0.4 * $0) }).analysis
        return (info, analysis)
    }

    /// Tempo from the tracked beats: the least-squares slope of beat time
    /// against beat number, finer than the autocorrelation's lag grid.
    static func tempo(of beats: [Double]) -> Double? {
        guard beats.count >= 4 else { return nil }
        let n = Double(beats.count)
        let meanIndex = (n - 1) / 2, meanTime = beats.reduce(0, +) / n
        var covariance = 0.0, variance = 0.0
        for (index, time) in beats.enumerated() {
            covariance += (Double(index) - meanIndex) * (time - meanTime)
            variance += (Double(index) - meanIndex) * (Double(index) - meanIndex)
        }
        let secondsPerBeat = covariance / variance
        return secondsPerBeat > 0 ? 60 / secondsPerBeat : nil
    }
}
