import Foundation

/// Per-window speaker embeddings: statistics of normalised cepstra over short
/// windows inside speech.
///
/// Cepstra are first normalised per recording (mean and variance over its
/// speech frames), so the embedding describes how a voice differs from the
/// others in the same recording rather than the channel. A window's
/// embedding is the mean and standard deviation of each coefficient; the
/// embeddings are then standardised across the recording's windows and
/// L2-normalised for cosine scoring. (PCA whitening was measured and made
/// every figure worse: docs/SPEECH.md.)
public struct SpeakerEmbedder: Sendable {
    public var windowSeconds = 2.0
    public var hopSeconds = 1.0
    /// Speech segments shorter than this get no window (resegmentation labels them).
    public var minWindowSeconds = 0.5
    /// Include per-coefficient standard deviations (else means only).
    public var includeDeviations = true

    public init() {}

    /// Frame ranges of the windows: each segment is covered from its start
    /// at `hopSeconds` steps, the last window flush with the segment's end.
    public func windows(in speech: [TimeSpan], frameCount: Int) -> [Range<Int>] {
        let length = SpeechFrames.frame(at: windowSeconds)
        let hop = SpeechFrames.frame(at: hopSeconds)
        let minimum = SpeechFrames.frame(at: minWindowSeconds)
        var result: [Range<Int>] = []
        for span in speech {
            let first = max(0, SpeechFrames.frame(at: span.start))
            let end = min(frameCount, SpeechFrames.frame(at: span.end))
            guard end - first >= minimum else { continue }
            if end - first <= length {
                result.append(first..<end)
                continue
            }
            var start = first
            while start + length < end {
                result.append(start..<(start + length))
                start += hop
            }
            result.append((end - length)..<end)
        }
        return result
    }

    /// Embeddings of `windows` (rows, L2-normalised), n × `dimension`.
    public func embed(_ features: NormalizedCepstra, windows: [Range<Int>]) -> (values: [Float], dimension: Int) {
        let c = features.dimension
        let statistics = includeDeviations ? 2 * c : c
        var values = [Float](repeating: 0, count: windows.count * statistics)
        features.values.withUnsafeBufferPointer { x in
            for (w, range) in windows.enumerated() {
                let base = w * statistics
                let count = Float(range.count)
                for t in range {
                    for k in 0..<c { values[base + k] += x[t * c + k] }
                }
                for k in 0..<c { values[base + k] /= count }
                guard includeDeviations else { continue }
                for t in range {
                    for k in 0..<c {
                        let d = x[t * c + k] - values[base + k]
                        values[base + c + k] += d * d
                    }
                }
                for k in 0..<c { values[base + c + k] = (values[base + c + k] / count).squareRoot() }
            }
        }
        Statistics.standardizeColumns(&values, columns: statistics)
        Statistics.normalizeRows(&values, columns: statistics)
        return (values, statistics)
    }
}

/// Cepstra with per-recording mean and variance normalisation over speech
/// frames (the statistics come from speech only, silence would skew them).
public struct NormalizedCepstra: Sendable {
    public let values: [Float]
    public let dimension: Int

    public init(_ frames: SpeechFrames, speech: [TimeSpan]) {
        dimension = frames.cepstrumCount
        var values = frames.cepstra
        var mean = [Double](repeating: 0, count: dimension)
        var square = [Double](repeating: 0, count: dimension)
        var count = 0.0
        for span in speech {
            for t in max(0, SpeechFrames.frame(at: span.start))..<min(frames.count, SpeechFrames.frame(at: span.end)) {
                for k in 0..<dimension {
                    let v = Double(values[t * dimension + k])
                    mean[k] += v
                    square[k] += v * v
                }
                count += 1
            }
        }
        if count > 1 {
            for k in 0..<dimension {
                mean[k] /= count
                let deviation = max((square[k] / count - mean[k] * mean[k]).squareRoot(), 1e-6)
                let (m, s) = (Float(mean[k]), Float(1 / deviation))
                var t = k
                while t < values.count {
                    values[t] = (values[t] - m) * s
                    t += dimension
                }
            }
        }
        self.values = values
    }
}

/// Small dense helpers on row-major float tables.
enum Statistics {
    /// Zero mean, unit variance per column.
    static func standardizeColumns(_ values: inout [Float], columns: Int) {
        let rows = values.count / columns
        guard rows > 1 else { return }
        for k in 0..<columns {
            var mean = 0.0, square = 0.0
            for r in 0..<rows {
                let v = Double(values[r * columns + k])
                mean += v
                square += v * v
            }
            mean /= Double(rows)
            let deviation = max((square / Double(rows) - mean * mean).squareRoot(), 1e-6)
            for r in 0..<rows { values[r * columns + k] = Float((Double(values[r * columns + k]) - mean) / deviation) }
        }
    }

    static func normalizeRows(_ values: inout [Float], columns: Int) {
        let rows = values.count / columns
        for r in 0..<rows {
            var norm: Float = 0
            for k in 0..<columns { norm += values[r * columns + k] * values[r * columns + k] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for k in 0..<columns { values[r * columns + k] *= scale }
        }
    }
}
