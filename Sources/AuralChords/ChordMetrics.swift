import Foundation

/// MIREX-style scores for chords, beats, tempo and key, for the benchmark
/// and the tests. Chord recall is weighted by duration; a reference segment
/// whose label a vocabulary cannot express would be left out of its total
/// (every label of the generated songs fits all three).
public enum ChordMetrics {
    public enum Vocabulary: String, Sendable, CaseIterable {
        /// Same root (N matches N).
        case root
        /// Same root and same triad: a seventh counts as its triad (C:7 ≡ C:maj).
        case majmin
        /// Same root and same quality among maj, min, 7, maj7, min7.
        case sevenths

        func matches(reference: ChordLabel, estimate: ChordLabel) -> Bool {
            if reference.isNoChord || estimate.isNoChord { return reference.isNoChord && estimate.isNoChord }
            guard reference.root == estimate.root else { return false }
            switch self {
            case .root: return true
            case .majmin: return reference.quality?.triad == estimate.quality?.triad
            case .sevenths: return reference.quality == estimate.quality
            }
        }
    }

    /// Seconds of the reference where the estimate matches, and seconds scored.
    public static func recall(reference: [ChordSegment], estimate: [ChordSegment], vocabulary: Vocabulary) -> (correct: Double, total: Double) {
        var correct = 0.0, total = 0.0
        var e = 0
        for segment in reference {
            var start = segment.start
            while start < segment.end {
                while e < estimate.count && estimate[e].end <= start { e += 1 }
                let estimated = e < estimate.count && estimate[e].start <= start ? estimate[e] : nil
                let end = min(segment.end, estimated?.end ?? (e < estimate.count ? estimate[e].start : segment.end))
                let length = end - start
                total += length
                if vocabulary.matches(reference: segment.label, estimate: estimated?.label ?? .noChord) { correct += length }
                start = end
            }
        }
        return (correct, total)
    }

    /// 1 − directional Hamming distance each way (Abdallah et al. 2005, as
    /// in MIREX): `over` falls when the estimate splits reference segments,
    /// `under` when it merges them; `overall` is the smaller.
    public static func segmentation(reference: [ChordSegment], estimate: [ChordSegment]) -> (over: Double, under: Double, overall: Double) {
        let over = 1 - directionalHamming(reference.map { ($0.start, $0.end) }, cutBy: estimate.map { ($0.start, $0.end) })
        let under = 1 - directionalHamming(estimate.map { ($0.start, $0.end) }, cutBy: reference.map { ($0.start, $0.end) })
        return (over, under, min(over, under))
    }

    /// For each segment of `segments`, the part outside its longest piece
    /// when cut at the boundaries of `cutBy`, summed and divided by the duration.
    static func directionalHamming(_ segments: [(Double, Double)], cutBy other: [(Double, Double)]) -> Double {
        guard let first = segments.first, let last = segments.last, last.1 > first.0 else { return 0 }
        let cuts = Set(other.flatMap { [$0.0, $0.1] }).sorted()
        var lost = 0.0
        for (start, end) in segments {
            var longest = 0.0, previous = start
            for cut in cuts where cut > start && cut < end {
                longest = max(longest, cut - previous)
                previous = cut
            }
            longest = max(longest, end - previous)
            lost += (end - start) - longest
        }
        return lost / (last.1 - first.0)
    }

    /// F-measure of beat times matched one-to-one within ±`tolerance` seconds.
    public static func beatFMeasure(reference: [Double], estimate: [Double], tolerance: Double = 0.07) -> Double {
        guard !reference.isEmpty, !estimate.isEmpty else { return reference.isEmpty && estimate.isEmpty ? 1 : 0 }
        let r = reference.sorted(), e = estimate.sorted()
        var i = 0, j = 0, matched = 0
        while i < r.count && j < e.count {
            if abs(r[i] - e[j]) <= tolerance {
                matched += 1
                i += 1
                j += 1
            } else if e[j] < r[i] {
                j += 1
            } else {
                i += 1
            }
        }
        let precision = Double(matched) / Double(e.count), recall = Double(matched) / Double(r.count)
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    /// Within `tolerance` (relative) of the reference, or of twice or half it when `allowOctave`.
    public static func tempoCorrect(estimate: Double, reference: Double, tolerance: Double = 0.04, allowOctave: Bool = false) -> Bool {
        let factors = allowOctave ? [1.0, 2.0, 0.5] : [1.0]
        return factors.contains { abs(estimate - reference * $0) <= tolerance * reference * $0 }
    }
}
