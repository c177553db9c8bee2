import AuralAudio
import Foundation

/// A stretch of time with one chord label; `confidence` in 0...1.
public struct ChordSegment: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var label: ChordLabel
    public var confidence: Double

    public init(start: Double, end: Double, label: ChordLabel, confidence: Double) {
        self.start = start
        self.end = end
        self.label = label
        self.confidence = confidence
    }
}

/// Chroma averaged between consecutive boundaries (beats): one row per segment.
public struct SegmentChroma: Sendable {
    public let boundaries: [Double]
    public let treble: Matrix
    public let bass: Matrix
    public let energy: [Float]

    /// Segments run from 0 to the first beat, beat to beat, and from the last
    /// beat to `duration`; each takes the frames centred inside it (the
    /// nearest frame when none is). A beat within 50 ms of the start or end
    /// opens no segment of its own: it would hold a single smeared frame.
    public init(_ features: ChromaFeatures, beats: [Double], duration: Double) {
        let shortest = 0.05
        var boundaries = [0.0]
        for beat in beats where beat >= boundaries.last! + shortest && beat <= duration - shortest { boundaries.append(beat) }
        boundaries.append(duration)
        let segments = boundaries.count - 1
        var treble = Matrix(rows: segments, columns: 12)
        var bass = Matrix(rows: segments, columns: 12)
        var energy = [Float](repeating: 0, count: segments)
        let hop = features.hopSeconds
        for segment in 0..<segments where features.frameCount > 0 {
            var first = Int((boundaries[segment] / hop).rounded(.up))
            var last = Int((boundaries[segment + 1] / hop).rounded(.up)) - 1
            if last < first {
                first = min(features.frameCount - 1, Int((0.5 * (boundaries[segment] + boundaries[segment + 1]) / hop).rounded()))
                last = first
            }
            first = min(first, features.frameCount - 1)
            last = min(last, features.frameCount - 1)
            let scale = 1 / Float(last - first + 1)
            for frame in first...last {
                for pc in 0..<12 {
                    treble.values[segment * 12 + pc] += features.treble.values[frame * 12 + pc] * scale
                    bass.values[segment * 12 + pc] += features.bass.values[frame * 12 + pc] * scale
                }
                energy[segment] += features.energy[frame] * scale
            }
        }
        self.boundaries = boundaries
        self.treble = treble
        self.bass = bass
        self.energy = energy
    }

    public var count: Int { energy.count }
}

/// Chord recognition over beat segments: each segment scores every chord
/// of the vocabulary by the cosine between its treble chroma and the chord's
/// template plus a bonus for the root in the bass; a hidden Markov model whose
/// only parameter is the probability of staying on a chord, decoded by
/// Viterbi, turns the scores into a label sequence.
public struct ChordRecognizer: Sendable {
    public var qualities: [ChordQuality] = ChordQuality.allCases
    /// Weight of the bass chroma at the chord's root (bass normalised to a maximum of 1).
    public var bassWeight: Float = 0.2
    /// Scores become log-likelihoods times this (sharpness of the emission model).
    public var scoreScale: Float = 30
    /// Probability of keeping the chord from one beat to the next.
    public var selfTransition: Float = 0.8
    /// `N` scores this fraction of its chroma's cosine with a flat profile.
    public var noChordWeight: Float = 0.75
    /// Segments quieter than this, relative to the loud level of the piece, are `N` (dB).
    public var silenceGateDB: Float = -40

    public init() {}

    var vocabulary: [ChordLabel] { ChordLabel.all(qualities) + [.noChord] }

    /// Scores of every vocabulary entry (rows: segments, columns: `vocabulary`).
    func scores(_ chroma: SegmentChroma) -> Matrix {
        let templates = ChordTemplates(vocabulary)
        var scores = Matrix(rows: chroma.count, columns: templates.labels.count)
        let gate = Self.loudLevel(chroma.energy) * pow(10, silenceGateDB / 20)
        let flatNorm = Float(12).squareRoot()
        for segment in 0..<chroma.count {
            let treble = chroma.treble.row(segment)
            let norm = ChordTemplates.norm(treble)
            let bassMax = chroma.bass.row(segment).max() ?? 0
            let silent = chroma.energy[segment] <= gate || norm == 0
            for (column, label) in templates.labels.enumerated() {
                let value: Float
                if label.isNoChord {
                    value = silent ? 10 : noChordWeight * treble.reduce(0, +) / (norm * flatNorm)
                } else if silent {
                    value = 0
                } else {
                    let bass = bassMax > 0 ? chroma.bass[segment, label.root!] / bassMax : 0
                    value = templates.cosine(column, treble, norm: norm) + bassWeight * bass
                }
                scores[segment, column] = value
            }
        }
        return scores
    }

    public func recognize(_ chroma: SegmentChroma) -> [ChordSegment] {
        guard chroma.count > 0 else { return [] }
        let labels = vocabulary
        let scores = scores(chroma)
        let states = labels.count
        let stay = log(selfTransition), move = log((1 - selfTransition) / Float(states - 1))
        // Viterbi with uniform switching: the best predecessor is either the
        // state itself or the overall best, so each step costs O(states).
        var delta = (0..<states).map { scoreScale * scores[0, $0] }
        var backPointers = [Int32](repeating: 0, count: chroma.count * states)
        var next = [Float](repeating: 0, count: states)
        for segment in 1..<max(1, chroma.count) {
            var bestState = 0
            for state in 1..<states where delta[state] > delta[bestState] { bestState = state }
            for state in 0..<states {
                let keep = delta[state] + stay, switchIn = delta[bestState] + move
                let from = keep >= switchIn ? state : bestState
                next[state] = max(keep, switchIn) + scoreScale * scores[segment, state]
                backPointers[segment * states + state] = Int32(from)
            }
            swap(&delta, &next)
        }
        var path = [Int](repeating: 0, count: chroma.count)
        path[chroma.count - 1] = delta.indices.max { delta[$0] < delta[$1] }!
        for segment in stride(from: chroma.count - 1, to: 0, by: -1) {
            path[segment - 1] = Int(backPointers[segment * states + path[segment]])
        }
        // Confidence of a segment: the mean over its beats of the label's
        // share of the emission probabilities (a softmax of the scores).
        var result: [ChordSegment] = []
        var confidenceSum = 0.0, beats = 0
        for segment in 0..<chroma.count {
            let state = path[segment]
            let posterior = Self.softmaxShare(scores.row(segment), of: state, scale: scoreScale)
            if let last = result.last, last.label == labels[state] {
                result[result.count - 1].end = chroma.boundaries[segment + 1]
            } else {
                if !result.isEmpty { result[result.count - 1].confidence = confidenceSum / Double(beats) }
                result.append(ChordSegment(start: chroma.boundaries[segment], end: chroma.boundaries[segment + 1],
                                           label: labels[state], confidence: 0))
                confidenceSum = 0
                beats = 0
            }
            confidenceSum += posterior
            beats += 1
        }
        result[result.count - 1].confidence = confidenceSum / Double(beats)
        return result
    }

    /// The 90th percentile of segment energies: the piece's loud level, robust to a few peaks.
    static func loudLevel(_ energy: [Float]) -> Float {
        guard !energy.isEmpty else { return 0 }
        let sorted = energy.sorted()
        return sorted[min(sorted.count - 1, Int(0.9 * Double(sorted.count)))]
    }

    static func softmaxShare(_ scores: ArraySlice<Float>, of index: Int, scale: Float) -> Double {
        let top = scores.max() ?? 0
        var total = 0.0
        for value in scores { total += Double(exp(scale * (value - top))) }
        return Double(exp(scale * (scores[scores.startIndex + index] - top))) / total
    }
}

/// The benchmark's reference: every chroma frame labelled on its own with the
/// best of 24 major and minor templates (or `N` when quiet), no beat
/// segmentation, no sevenths, no smoothing.
public struct FrameChordReference: Sendable {
    public var silenceGateDB: Float = -40

    public init() {}

    public func recognize(_ features: ChromaFeatures, duration: Double) -> [ChordSegment] {
        let templates = ChordTemplates(ChordLabel.all([.major, .minor]))
        let gate = ChordRecognizer.loudLevel(features.energy) * pow(10, silenceGateDB / 20)
        var result: [ChordSegment] = []
        let hop = features.hopSeconds
        for frame in 0..<features.frameCount {
            var label = ChordLabel.noChord
            let chroma = features.wide.row(frame)
            let norm = ChordTemplates.norm(chroma)
            if features.energy[frame] > gate && norm > 0 {
                var best: Float = -1
                for index in templates.labels.indices {
                    let cosine = templates.cosine(index, chroma, norm: norm)
                    if cosine > best { best = cosine; label = templates.labels[index] }
                }
            }
            let start = max(0, (Double(frame) - 0.5) * hop), end = min(duration, (Double(frame) + 0.5) * hop)
            guard end > start else { continue }
            if let last = result.last, last.label == label {
                result[result.count - 1].end = end
            } else {
                result.append(ChordSegment(start: start, end: end, label: label, confidence: 1))
            }
        }
        if !result.isEmpty { result[result.count - 1].end = duration }
        return result
    }
}

/// Binary chord templates of unit norm. A chord's cosine with a chroma
/// vector is the chroma summed over its tones divided by the vector's norm
/// and the square root of the tone count; the tones are listed once per
/// label so scoring a frame allocates nothing.
struct ChordTemplates {
    let labels: [ChordLabel]
    private let tones: [[Int]]
    private let scales: [Float]

    init(_ labels: [ChordLabel]) {
        self.labels = labels
        tones = labels.map(\.pitchClasses)
        scales = tones.map { $0.isEmpty ? 0 : 1 / Float($0.count).squareRoot() }
    }

    func cosine(_ index: Int, _ chroma: ArraySlice<Float>, norm: Float) -> Float {
        var sum: Float = 0
        for pc in tones[index] { sum += chroma[chroma.startIndex + pc] }
        return sum * scales[index] / norm
    }

    static func norm(_ values: ArraySlice<Float>) -> Float {
        values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}
