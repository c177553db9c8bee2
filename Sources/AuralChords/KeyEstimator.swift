import Foundation

/// The key from the piece's pitch-class distribution correlated with the
/// Krumhansl–Kessler probe-tone profiles (Krumhansl 1990), plus the share of
/// time the recognised chords sit on the candidate key's tonic chord and a
/// bonus when the piece opens on it: the profiles alone often confuse a
/// major key with its relative minor, which has the same notes; the chord
/// the piece starts from and keeps coming back to does not.
public struct KeyEstimator: Sendable {
    static let majorProfile: [Double] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    static let minorProfile: [Double] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]

    /// Weight of the tonic-chord share against the profile correlation (-1...1).
    public var tonicChordWeight: Double = 0.5
    /// Bonus when the piece's first chord is the candidate's tonic chord:
    /// pieces mostly open on the tonic, and a relative major and minor,
    /// which the profiles cannot tell apart, open on different chords.
    public var openingChordWeight: Double = 0.1

    public init() {}

    /// nil when there is no pitched content.
    public func estimate(_ features: ChromaFeatures, chords: [ChordSegment]) -> MusicalKey? {
        var distribution = [Double](repeating: 0, count: 12)
        // Notes after the harmonic sieve (treble and bass), so overtones do
        // not pull the distribution a fifth up; frames count equally whatever
        // their loudness, each normalised by its maximum.
        var row = [Float](repeating: 0, count: 12)
        for frame in 0..<features.frameCount {
            for pc in 0..<12 { row[pc] = features.treble[frame, pc] + features.bass[frame, pc] }
            guard let peak = row.max(), peak > 0 else { continue }
            for pc in 0..<12 { distribution[pc] += Double(row[pc] / peak) }
        }
        guard distribution.contains(where: { $0 > 0 }) else { return nil }
        let voiced = chords.filter { !$0.label.isNoChord }.reduce(0) { $0 + $1.end - $1.start }
        let opening = chords.first { !$0.label.isNoChord }?.label
        var best: (key: MusicalKey, score: Double)?
        for isMinor in [false, true] {
            let profile = isMinor ? Self.minorProfile : Self.majorProfile
            for tonic in 0..<12 {
                let rotated = (0..<12).map { profile[($0 - tonic + 12) % 12] }
                var tonicTime = 0.0
                for chord in chords where chord.label.root == tonic && (chord.label.quality?.triad == .minor) == isMinor {
                    tonicTime += chord.end - chord.start
                }
                let opensOnTonic = opening?.root == tonic && (opening?.quality?.triad == .minor) == isMinor
                let score = Self.correlation(distribution, rotated) + tonicChordWeight * (voiced > 0 ? tonicTime / voiced : 0)
                    + (opensOnTonic ? openingChordWeight : 0)
                if score > (best?.score ?? -.infinity) { best = (MusicalKey(tonic: tonic, isMinor: isMinor), score) }
            }
        }
        return best?.key
    }

    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let meanA = a.reduce(0, +) / Double(a.count), meanB = b.reduce(0, +) / Double(b.count)
        var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
        for (x, y) in zip(a, b) {
            covariance += (x - meanA) * (y - meanB)
            varianceA += (x - meanA) * (x - meanA)
            varianceB += (y - meanB) * (y - meanB)
        }
        return covariance / max((varianceA * varianceB).squareRoot(), 1e-12)
    }
}
