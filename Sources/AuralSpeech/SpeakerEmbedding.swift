import Foundation

/// Per-window speaker embeddings: statistics of normalised cepstra over short
/// windows inside speech.
///
/// Cepstra are first normalised per recording (mean and variance over its
/// speech frames), so the embedding describes how a voice differs from the
/// others in the same recording rather than the channel. A window's
/// embedding is the mean and standard deviation of each coefficient; the
/// embeddings are then standardised across the recording's windows,
/// optionally whitened (PCA), and L2-normalised for cosine scoring.
public struct SpeakerEmbedder: Sendable {
    public var windowSeconds = 1.5
    public var hopSeconds = 0.75
    /// Speech segments shorter than this get no window (resegmentation labels them).
    public var minWindowSeconds = 0.5
    /// Include per-coefficient standard deviations (else means only).
    public var includeDeviations = true
    /// Principal components kept after whitening; 0 keeps the standardised statistics.
    public var whitenedDimensions = 0

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
        var dimension = statistics
        if whitenedDimensions > 0, windows.count > whitenedDimensions {
            (values, dimension) = Statistics.whiten(values, columns: statistics, keep: min(whitenedDimensions, statistics))
        }
        Statistics.normalizeRows(&values, columns: dimension)
        return (values, dimension)
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

    /// Projects centred rows on the `keep` leading principal components, each
    /// scaled to unit variance (PCA whitening). Eigenvectors by Jacobi
    /// rotations: the covariance is small (tens of dimensions).
    static func whiten(_ values: [Float], columns: Int, keep: Int) -> ([Float], Int) {
        let rows = values.count / columns
        var covariance = [Double](repeating: 0, count: columns * columns)
        for r in 0..<rows {
            for i in 0..<columns {
                let vi = Double(values[r * columns + i])
                for j in i..<columns { covariance[i * columns + j] += vi * Double(values[r * columns + j]) }
            }
        }
        for i in 0..<columns {
            for j in i..<columns {
                covariance[i * columns + j] /= Double(rows)
                covariance[j * columns + i] = covariance[i * columns + j]
            }
        }
        let (eigenvalues, eigenvectors) = symmetricEigen(covariance, size: columns)
        let order = eigenvalues.indices.sorted { eigenvalues[$0] > eigenvalues[$1] }.prefix(keep)
        var out = [Float](repeating: 0, count: rows * keep)
        for r in 0..<rows {
            for (o, e) in order.enumerated() {
                var dot = 0.0
                for k in 0..<columns { dot += Double(values[r * columns + k]) * eigenvectors[k * columns + e] }
                out[r * keep + o] = Float(dot / max(eigenvalues[e], 1e-9).squareRoot())
            }
        }
        return (out, keep)
    }

    /// Eigenvalues and eigenvectors (columns of the returned matrix) of a
    /// symmetric matrix by cyclic Jacobi rotations.
    static func symmetricEigen(_ matrix: [Double], size n: Int) -> ([Double], [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<50 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<n { off += a[i * n + j] * a[i * n + j] } }
            if off < 1e-18 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-15 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
