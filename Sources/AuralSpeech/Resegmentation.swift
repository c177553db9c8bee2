import Foundation

/// Frame-level re-assignment of speech frames to speakers: one diagonal
/// Gaussian mixture per speaker, trained on the frames clustering gave it,
/// then a Viterbi pass over each speech segment with a fixed cost for
/// changing speaker. Window clustering decides who speaks at a 1 s
/// granularity; this moves the boundaries to the 10 ms frame where the
/// likelihoods cross and relabels frames of segments too short for a window.
public struct Resegmenter: Sendable {
    public var components = 8
    public var emIterations = 6
    /// Log-likelihood cost of a speaker change between frames.
    public var switchPenalty: Float = 60
    /// Rounds of retraining on the previous round's labels.
    public var rounds = 2

    public init() {}

    /// - Parameters:
    ///   - labels: per frame, a speaker index or -1 (not speech or unknown).
    ///   - speech: the frames to label (frames outside stay -1).
    /// - Returns: per-frame speaker indices, -1 outside speech.
    public func resegment(_ features: NormalizedCepstra, speech: [Range<Int>], labels initial: [Int], speakers: Int) -> [Int] {
        guard speakers > 1 else {
            var labels = [Int](repeating: -1, count: initial.count)
            for range in speech { for t in range { labels[t] = 0 } }
            return labels
        }
        var labels = initial
        for _ in 0..<rounds {
            let models = (0..<speakers).map { speaker in
                DiagonalGMM(training: features, frames: labels.indices.filter { labels[$0] == speaker },
                            components: components, iterations: emIterations)
            }
            var next = [Int](repeating: -1, count: labels.count)
            for range in speech where !range.isEmpty {
                let path = viterbi(features, range: range, models: models)
                for (offset, speaker) in path.enumerated() { next[range.lowerBound + offset] = speaker }
            }
            labels = next
        }
        return labels
    }

    private func viterbi(_ features: NormalizedCepstra, range: Range<Int>, models: [DiagonalGMM?]) -> [Int] {
        let s = models.count
        var score = [Float](repeating: 0, count: s)
        var back = [Int32](repeating: 0, count: range.count * s)
        var frameScore = [Float](repeating: 0, count: s)
        for (offset, t) in range.enumerated() {
            for k in 0..<s { frameScore[k] = models[k]?.logLikelihood(features, frame: t) ?? -.infinity }
            if offset == 0 {
                score = frameScore
                continue
            }
            let best = score.indices.max { score[$0] < score[$1] }!
            var next = score
            for k in 0..<s {
                let switched = score[best] - switchPenalty
                if k != best && switched > score[k] {
                    next[k] = switched + frameScore[k]
                    back[offset * s + k] = Int32(best)
                } else {
                    next[k] = score[k] + frameScore[k]
                    back[offset * s + k] = Int32(k)
                }
            }
            score = next
        }
        var path = [Int](repeating: 0, count: range.count)
        path[range.count - 1] = score.indices.max { score[$0] < score[$1] }!
        for offset in stride(from: range.count - 1, to: 0, by: -1) {
            path[offset - 1] = Int(back[offset * s + path[offset]])
        }
        return path
    }
}

/// A Gaussian mixture with diagonal covariances, trained by EM from a
/// k-means-style start (components seeded on evenly spaced frames).
struct DiagonalGMM: Sendable {
    let dimension: Int
    let components: Int
    var means: [Float]
    /// Inverse variances.
    var precisions: [Float]
    /// log weight + the Gaussian's normalising constant, per component.
    var constants: [Float]

    /// Nil when there are too few frames to train on.
    init?(training features: NormalizedCepstra, frames: [Int], components requested: Int, iterations: Int) {
        let d = features.dimension
        guard frames.count >= 20 else { return nil }
        let m = max(1, min(requested, frames.count / 50))
        dimension = d
        components = m
        means = [Float](repeating: 0, count: m * d)
        precisions = [Float](repeating: 1, count: m * d)
        constants = [Float](repeating: 0, count: m)
        let x = features.values
        for j in 0..<m {
            let t = frames[(j * frames.count + frames.count / 2) / m]
            for k in 0..<d { means[j * d + k] = x[t * d + k] }
        }
        var weights = [Float](repeating: 1 / Float(m), count: m)
        updateConstants(weights)
        var responsibility = [Float](repeating: 0, count: m)
        for _ in 0..<iterations {
            var count = [Float](repeating: 1e-3, count: m)
            var sum = [Float](repeating: 0, count: m * d)
            var square = [Float](repeating: 0, count: m * d)
            for t in frames {
                posteriors(features, frame: t, into: &responsibility)
                for j in 0..<m where responsibility[j] > 1e-4 {
                    let r = responsibility[j]
                    count[j] += r
                    for k in 0..<d {
                        let v = x[t * d + k]
                        sum[j * d + k] += r * v
                        square[j * d + k] += r * v * v
                    }
                }
            }
            let total = count.reduce(0, +)
            for j in 0..<m {
                weights[j] = count[j] / total
                for k in 0..<d {
                    let mean = sum[j * d + k] / count[j]
                    means[j * d + k] = mean
                    // Variance floor: a component on few frames must not collapse.
                    precisions[j * d + k] = 1 / max(square[j * d + k] / count[j] - mean * mean, 0.01)
                }
            }
            updateConstants(weights)
        }
    }

    private mutating func updateConstants(_ weights: [Float]) {
        let halfLogTwoPi = Float(0.5 * log(2 * Double.pi))
        for j in 0..<components {
            var logDeterminant: Float = 0
            for k in 0..<dimension { logDeterminant += log(precisions[j * dimension + k]) }
            constants[j] = log(max(weights[j], 1e-8)) + 0.5 * logDeterminant - Float(dimension) * halfLogTwoPi
        }
    }

    private func componentLogLikelihoods(_ features: NormalizedCepstra, frame t: Int, into out: inout [Float]) {
        let d = dimension
        features.values.withUnsafeBufferPointer { x in
            for j in 0..<components {
                var distance: Float = 0
                for k in 0..<d {
                    let diff = x[t * d + k] - means[j * d + k]
                    distance += diff * diff * precisions[j * d + k]
                }
                out[j] = constants[j] - 0.5 * distance
            }
        }
    }

    private func posteriors(_ features: NormalizedCepstra, frame t: Int, into out: inout [Float]) {
        componentLogLikelihoods(features, frame: t, into: &out)
        let top = out.max()!
        var sum: Float = 0
        for j in 0..<components {
            out[j] = exp(out[j] - top)
            sum += out[j]
        }
        for j in 0..<components { out[j] /= sum }
    }

    /// log Σ exp over the components, accumulated in one pass (running
    /// maximum) without a scratch array: this runs per frame and speaker.
    func logLikelihood(_ features: NormalizedCepstra, frame t: Int) -> Float {
        let d = dimension
        var top = -Float.infinity, sum: Float = 0
        features.values.withUnsafeBufferPointer { x in
            for j in 0..<components {
                var distance: Float = 0
                for k in 0..<d {
                    let diff = x[t * d + k] - means[j * d + k]
                    distance += diff * diff * precisions[j * d + k]
                }
                let v = constants[j] - 0.5 * distance
                if v > top {
                    sum = sum * exp(top - v) + 1
                    top = v
                } else {
                    sum += exp(v - top)
                }
            }
        }
        return top + log(sum)
    }
}
