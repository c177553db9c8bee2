import AuralAudio
import Foundation

/// One speaker's stretch of speech. Output segments never overlap.
public struct SpeakerSegment: Sendable, Hashable, Codable {
    public var start: Double
    public var end: Double
    public var speaker: String

    public init(start: Double, end: Double, speaker: String) {
        self.start = start
        self.end = end
        self.speaker = speaker
    }

    public var duration: Double { end - start }
}

/// How many speakers to find: exactly `count`, or estimated within bounds.
public enum SpeakerCount: Sendable, Equatable {
    case exactly(Int)
    case automatic(min: Int = 1, max: Int = 8)
}

/// Speaker diarization: who spoke when, without knowing the voices.
///
/// Voice activity → windows of 2 s every 1 s inside speech → cepstral
/// statistics per window → average-linkage clustering on cosine distance,
/// the number of speakers where the merge distance crosses a threshold →
/// frame-level resegmentation (a Gaussian mixture per speaker and Viterbi
/// smoothing) → speakers a single Gaussian fits better than two (ΔBIC)
/// merged, resegmenting again after each merge → segments labelled `SPEAKER_00`, `SPEAKER_01`, … in order of
/// first appearance. docs/SPEECH.md has the measured choices.
public struct Diarizer: Sendable {
    public var vad = VoiceActivityDetector()
    public var embedder = SpeakerEmbedder()
    public var resegmenter = Resegmenter()
    /// Automatic count: clusters keep merging while the average cosine distance is below this.
    public var mergeThreshold: Float = 0.9
    /// Clusters with less windowed speech than this (seconds) are not speakers
    /// of their own: their windows go to the nearest larger cluster.
    public var minSpeakerSeconds = 3.0
    /// Segments shorter than this are given to a neighbour after resegmentation.
    public var minSegmentSeconds = 0.3
    /// Weight of the model-size penalty when speakers are merged by ΔBIC after
    /// resegmentation (automatic count only; 0 turns the check off).
    public var bicPenalty: Float = 3

    public init() {}

    public struct Result: Sendable {
        public var segments: [SpeakerSegment]
        public var speech: [TimeSpan]
        public var speakerCount: Int
    }

    /// Diarizes 16 kHz mono samples (`SpeechFrames.sampleRate`).
    public func diarize(samples: [Float], speakers: SpeakerCount = .automatic()) -> Result {
        diarize(SpeechFeatureExtractor.frames(of: samples), speakers: speakers)
    }

    /// Diarizes a file of any rate and channel count: decoded, mixed to mono
    /// and resampled block by block into features, so memory holds features
    /// (about 30 MB an hour), never the decoded audio.
    public func diarize(path: String, speakers: SpeakerCount = .automatic()) throws -> Result {
        diarize(try Self.features(path: path), speakers: speakers)
    }

    public static func features(path: String) throws -> SpeechFrames {
        let reader = try AudioFileReader(path: path)
        let rate = reader.info.sampleRate
        let resampler = try Resampler(from: rate, to: SpeechFrames.sampleRate, channelCount: 1, quality: .medium)
        let extractor = SpeechFeatureExtractor()
        var total = 0
        var pending = try reader.read(frames: 1 << 16)
        guard pending != nil else { throw AudioError.empty }
        while let block = pending {
            pending = try reader.read(frames: 1 << 16)
            let mono = AudioBuffer(sampleRate: rate, channels: [block.mono()])
            let samples = rate == SpeechFrames.sampleRate ? mono.channels[0] : try resampler.process(mono, isLast: pending == nil).channels[0]
            total += samples.count
            extractor.append(samples)
        }
        return extractor.finish(totalSamples: total)
    }

    public func diarize(_ frames: SpeechFrames, speakers: SpeakerCount = .automatic()) -> Result {
        let speech = vad.detect(frames)
        let frameRanges = speech.map {
            max(0, SpeechFrames.frame(at: $0.start))..<min(frames.count, SpeechFrames.frame(at: $0.end))
        }
        guard !speech.isEmpty else { return Result(segments: [], speech: [], speakerCount: 0) }
        let features = NormalizedCepstra(frames, speech: speech)
        let windows = embedder.windows(in: speech, frameCount: frames.count)
        let windowLabels = clusterWindows(features, windows: windows, speakers: speakers)
        let count = (windowLabels.max() ?? -1) + 1

        // Each speech frame starts with the label of the window centred nearest to it.
        var labels = [Int](repeating: -1, count: frames.count)
        var nearest = [Int](repeating: Int.max, count: frames.count)
        for (w, range) in windows.enumerated() {
            let centre = (range.lowerBound + range.upperBound) / 2
            for t in range where abs(t - centre) < nearest[t] {
                nearest[t] = abs(t - centre)
                labels[t] = windowLabels[w]
            }
        }
        var frameLabels = resegmenter.resegment(features, speech: frameRanges, labels: labels, speakers: max(count, 1))
        if case .automatic(let minimum, _) = speakers, bicPenalty > 0 {
            var speakersLeft = max(count, 1)
            while speakersLeft > max(minimum, 1), let (a, b) = closestPairByBIC(features, labels: frameLabels, speakers: speakersLeft) {
                // Merge b into a, renumber the last speaker as b, re-resegment.
                for t in frameLabels.indices {
                    if frameLabels[t] == b { frameLabels[t] = a }
                    if frameLabels[t] == speakersLeft - 1 { frameLabels[t] = b }
                }
                speakersLeft -= 1
                frameLabels = resegmenter.resegment(features, speech: frameRanges, labels: frameLabels, speakers: speakersLeft)
            }
        }
        // Resegmentation can starve a small cluster; a count the caller
        // demands is then kept with the window labels instead.
        let required: Int
        switch speakers {
        case .exactly(let n): required = n
        case .automatic(let minimum, _): required = minimum
        }
        if Set(frameLabels.filter { $0 >= 0 }).count < min(required, count) {
            frameLabels = Self.filled(labels, speech: frameRanges)
        }
        absorbShortRuns(&frameLabels, speech: frameRanges)
        let segments = SpeakerSegment.segments(frameLabels: frameLabels, speech: frameRanges)
        return Result(segments: segments, speech: speech, speakerCount: Set(segments.map(\.speaker)).count)
    }

    /// The pair of speakers whose frames one full-covariance Gaussian fits
    /// better than two by the Bayesian information criterion (ΔBIC < 0), the
    /// most clearly first; nil when every pair is better apart.
    func closestPairByBIC(_ features: NormalizedCepstra, labels: [Int], speakers: Int) -> (Int, Int)? {
        let d = features.dimension
        var stats = (0..<speakers).map { _ in GaussianStatistics(dimension: d) }
        features.values.withUnsafeBufferPointer { x in
            for (t, label) in labels.enumerated() where label >= 0 { stats[label].add(x, frame: t) }
        }
        let parameters = Double(d + d * (d + 1) / 2)
        var best: (Int, Int)?
        var bestScore = 0.0
        for a in 0..<speakers {
            for b in (a + 1)..<speakers {
                guard stats[a].count > Double(d) * 2, stats[b].count > Double(d) * 2 else {
                    // A speaker too small for a covariance is merged with the first other one.
                    if stats[a].count <= Double(d) * 2 || stats[b].count <= Double(d) * 2 { return (a, b) }
                    continue
                }
                let merged = stats[a].merged(with: stats[b])
                let n = merged.count
                let gain = 0.5 * (n * merged.logDeterminant() - stats[a].count * stats[a].logDeterminant()
                                  - stats[b].count * stats[b].logDeterminant())
                let score = gain - Double(bicPenalty) * 0.5 * parameters * log(n)
                if score < bestScore { (best, bestScore) = ((a, b), score) }
            }
        }
        return best
    }

    /// Speech frames without a label (segments too short for a window) take
    /// the label of the nearest labelled frame before them, else after them.
    static func filled(_ labels: [Int], speech: [Range<Int>]) -> [Int] {
        var result = [Int](repeating: -1, count: labels.count)
        let frames = speech.flatMap { Array($0) }
        var last = frames.lazy.map { labels[$0] }.first { $0 >= 0 } ?? 0
        for t in frames {
            if labels[t] >= 0 { last = labels[t] }
            result[t] = last
        }
        return result
    }

    /// Window labels 0..<k. With no windows (only very short speech) every
    /// frame belongs to one speaker.
    func clusterWindows(_ features: NormalizedCepstra, windows: [Range<Int>], speakers: SpeakerCount) -> [Int] {
        guard windows.count > 1 else { return windows.map { _ in 0 } }
        let (points, dimension) = embedder.embed(features, windows: windows)
        let tree = Dendrogram(points: points, dimension: dimension)
        let seconds = windows.map { Double($0.count) * SpeechFrames.hopSeconds }
        let target: Int
        let (low, high): (Int, Int)
        switch speakers {
        case .exactly(let count):
            target = count
            (low, high) = (count, count)
        case .automatic(let minimum, let maximum):
            let automatic = significantClusters(tree.cut(threshold: mergeThreshold), seconds: seconds).count
            target = min(max(automatic, minimum), maximum)
            (low, high) = (minimum, maximum)
        }
        // The finest cut with `target` significant clusters (small clusters
        // of stray windows don't count); its small clusters are then absorbed.
        var clusters = max(1, min(target, windows.count))
        var labels = tree.cut(clusters: clusters)
        if case .exactly = speakers { return labels }
        while significantClusters(labels, seconds: seconds).count < target && clusters < windows.count {
            clusters += 1
            labels = tree.cut(clusters: clusters)
        }
        let keep = significantClusters(labels, seconds: seconds)
        let kept = keep.count >= low && keep.count <= high && !keep.isEmpty ? keep : largestClusters(labels, seconds: seconds, count: max(1, min(target, clusters)))
        return absorb(labels, into: kept, points: points, dimension: dimension)
    }

    private func clusterSeconds(_ labels: [Int], seconds: [Double]) -> [Double] {
        var total = [Double](repeating: 0, count: (labels.max() ?? -1) + 1)
        // Windows overlap by half: count each at its hop so totals are speech seconds.
        for (label, length) in zip(labels, seconds) { total[label] += min(length, embedder.hopSeconds) }
        return total
    }

    private func significantClusters(_ labels: [Int], seconds: [Double]) -> [Int] {
        clusterSeconds(labels, seconds: seconds).enumerated().filter { $0.element >= minSpeakerSeconds }.map(\.offset)
    }

    private func largestClusters(_ labels: [Int], seconds: [Double], count: Int) -> [Int] {
        let totals = clusterSeconds(labels, seconds: seconds)
        return Array(totals.indices.sorted { totals[$0] > totals[$1] }.prefix(count))
    }

    /// Relabels windows to 0..<kept.count; windows of other clusters go to
    /// the kept cluster whose centroid is nearest (cosine).
    private func absorb(_ labels: [Int], into kept: [Int], points: [Float], dimension: Int) -> [Int] {
        var centroids = [Float](repeating: 0, count: kept.count * dimension)
        for (i, cluster) in kept.enumerated() {
            for (w, label) in labels.enumerated() where label == cluster {
                for k in 0..<dimension { centroids[i * dimension + k] += points[w * dimension + k] }
            }
        }
        let index = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($0.element, $0.offset) })
        return labels.enumerated().map { w, label in
            if let i = index[label] { return i }
            var best = 0, bestScore = -Float.infinity
            for i in kept.indices {
                var dot: Float = 0
                for k in 0..<dimension { dot += centroids[i * dimension + k] * points[w * dimension + k] }
                if dot > bestScore { (best, bestScore) = (i, dot) }
            }
            return best
        }
    }

    /// Within each speech range, runs shorter than `minSegmentSeconds` take
    /// the label of their longer neighbour: a speaker does not say one
    /// syllable inside another's sentence.
    private func absorbShortRuns(_ labels: inout [Int], speech: [Range<Int>]) {
        let minimum = SpeechFrames.frame(at: minSegmentSeconds)
        for range in speech where !range.isEmpty {
            while true {
                var runs: [(start: Int, end: Int, label: Int)] = []
                for t in range {
                    if let last = runs.last, last.label == labels[t] { runs[runs.count - 1].end = t + 1 } else { runs.append((t, t + 1, labels[t])) }
                }
                guard runs.count > 1,
                      let shortest = runs.indices.filter({ runs[$0].end - runs[$0].start < minimum })
                        .min(by: { runs[$0].end - runs[$0].start < runs[$1].end - runs[$1].start })
                else { break }
                let before = shortest > 0 ? runs[shortest - 1] : nil
                let after = shortest + 1 < runs.count ? runs[shortest + 1] : nil
                let neighbour = [before, after].compactMap { $0 }.max { ($0.end - $0.start) < ($1.end - $1.start) }!
                for t in runs[shortest].start..<runs[shortest].end { labels[t] = neighbour.label }
            }
        }
    }
}

extension SpeakerSegment {
    /// Segments from per-frame speaker indices (-1: nobody) inside `speech`
    /// frame ranges, speakers named `SPEAKER_00`, `SPEAKER_01`, … in order of first appearance.
    public static func segments(frameLabels labels: [Int], speech: [Range<Int>]) -> [SpeakerSegment] {
        var names: [Int: String] = [:]
        var segments: [SpeakerSegment] = []
        for range in speech where !range.isEmpty {
            var start = range.lowerBound
            for t in range where t + 1 == range.upperBound || labels[t + 1] != labels[t] {
                let label = labels[t]
                guard label >= 0 else {
                    start = t + 1
                    continue
                }
                let name = names[label] ?? String(format: "SPEAKER_%02d", names.count)
                names[label] = name
                segments.append(SpeakerSegment(start: SpeechFrames.seconds(ofFrame: start),
                                               end: SpeechFrames.seconds(ofFrame: t + 1), speaker: name))
                start = t + 1
            }
        }
        return segments
    }
}

/// Running sums for a full-covariance Gaussian over cepstral frames.
struct GaussianStatistics {
    let dimension: Int
    var count = 0.0
    var sum: [Double]
    var products: [Double]   // upper triangle used, row-major d × d

    init(dimension: Int) {
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
        products = [Double](repeating: 0, count: dimension * dimension)
    }

    mutating func add(_ x: UnsafeBufferPointer<Float>, frame t: Int) {
        let d = dimension
        count += 1
        for i in 0..<d {
            let vi = Double(x[t * d + i])
            sum[i] += vi
            for j in i..<d { products[i * d + j] += vi * Double(x[t * d + j]) }
        }
    }

    func merged(with other: GaussianStatistics) -> GaussianStatistics {
        var result = self
        result.count += other.count
        for i in sum.indices { result.sum[i] += other.sum[i] }
        for i in products.indices { result.products[i] += other.products[i] }
        return result
    }

    /// log |Σ| of the maximum-likelihood covariance, by Cholesky factorisation.
    func logDeterminant() -> Double {
        let d = dimension
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in i..<d {
                let c = products[i * d + j] / count - (sum[i] / count) * (sum[j] / count)
                a[i * d + j] = c
                a[j * d + i] = c
            }
            a[i * d + i] += 1e-6
        }
        var logDeterminant = 0.0
        for j in 0..<d {
            var diagonal = a[j * d + j]
            for k in 0..<j { diagonal -= a[j * d + k] * a[j * d + k] }
            let root = max(diagonal, 1e-12).squareRoot()
            a[j * d + j] = root
            logDeterminant += 2 * log(root)
            for i in (j + 1)..<d {
                var value = a[i * d + j]
                for k in 0..<j { value -= a[i * d + k] * a[j * d + k] }
                a[i * d + j] = value / root
            }
        }
        return logDeterminant
    }
}
