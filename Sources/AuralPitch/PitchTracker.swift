import AuralAudio
import Foundation

/// Settings of the pitch trackers. The defaults are the ones measured in
/// docs/MELODY.md.
public struct PitchTrackerConfiguration: Sendable, Equatable {
    public var minimumFrequency: Double = 60
    public var maximumFrequency: Double = 1200
    public var hopSeconds: Double = 0.01
    /// Audio is resampled to this rate first: 1.2 kHz needs no more, and the
    /// difference function costs far less than at 44.1 kHz.
    public var analysisSampleRate: Int = 16000
    /// YIN integration window; the lag range (up to one 60 Hz period) comes on top.
    public var windowSeconds: Double = 0.04
    /// Frames whose mean-square level is below this are silent: no candidates.
    public var silenceLevel: Float = 1e-8

    // pYIN, stage 1 (Mauch & Dixon 2014).
    /// Beta distribution over the 100 YIN thresholds 0.01…1.00.
    public var thresholdAlpha: Double = 2
    public var thresholdBeta: Double = 11.33
    /// Weight of the global minimum for thresholds no trough gets under.
    public var noTroughWeight: Double = 0.01
    public var candidatesPerFrame: Int = 8

    // pYIN, stage 2: HMM over pitch bins × voicing.
    public var binsPerSemitone: Int = 5
    /// Largest pitch move between adjacent frames along a note (triangular weights).
    public var maximumStepSemitones: Double = 2.4
    /// Probability per frame of a jump to any pitch (a new note without a gap).
    public var pitchJumpProbability: Double = 0.001
    /// Probability per frame of switching between voiced and unvoiced.
    public var voicingSwitchProbability: Double = 0.01
    /// The unvoiced state observes (1 − the frame's candidate mass) × this:
    /// lower voices more frames (recall up, false alarms up).
    public var unvoicedWeight: Double = 0.1

    // Plain YIN reference.
    public var yinThreshold: Double = 0.1

    public init() {}
}

/// pYIN: YIN's difference function with a distribution over thresholds gives
/// several pitch candidates per frame with probabilities; an HMM over pitch
/// bins and voicing, decoded by Viterbi, picks one path through them. Pure:
/// samples and rate in, track out.
public struct PitchTracker: Sendable {
    public var configuration: PitchTrackerConfiguration

    public init(configuration: PitchTrackerConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Tracks mono `samples` at `sampleRate`. `progress` gets 0...1; throwing
    /// from it stops the analysis.
    public func track(_ samples: [Float], sampleRate: Int, progress: (Double) throws -> Void = { _ in }) throws -> PitchTrack {
        let analysis = try FrameAnalysis(samples, sampleRate: sampleRate, configuration: configuration)
        let candidates = try analysis.candidates(progress: { try progress($0 * 0.8) })
        let decoder = VoicedPitchHMM(configuration: configuration)
        let frames = try decoder.decode(candidates, hopSeconds: configuration.hopSeconds, progress: { try progress(0.8 + $0 * 0.2) })
        return PitchTrack(hopSeconds: configuration.hopSeconds, duration: analysis.duration, frames: frames)
    }

    /// Plain YIN, the reference: the first difference-function dip under a
    /// fixed threshold, parabolic interpolation, no smoothing.
    public func trackPlainYIN(_ samples: [Float], sampleRate: Int) throws -> PitchTrack {
        let analysis = try FrameAnalysis(samples, sampleRate: sampleRate, configuration: configuration)
        return PitchTrack(hopSeconds: configuration.hopSeconds, duration: analysis.duration, frames: try analysis.plainYIN())
    }
}

/// Up to `capacity` pitch candidates per frame in flat arrays.
struct FrameCandidates {
    let frameCount: Int
    let capacity: Int
    var counts: [Int32]
    var f0: [Float]
    var probability: [Float]
    /// Total candidate probability: the frame's probability of being voiced.
    var voicedMass: [Float]
    /// Level of each frame in dBFS.
    var levels: [Float]
}

/// The resampled signal and the frame geometry shared by both trackers.
struct FrameAnalysis {
    let configuration: PitchTrackerConfiguration
    let rate: Int
    let hop: Int
    let minimumLag: Int
    let maximumLag: Int
    let windowLength: Int
    let frameCount: Int
    let duration: Double
    /// The signal at the analysis rate. Frame k's segment starts `lead`
    /// samples before k × hop, so it is centred on time k × hopSeconds.
    let signal: [Float]
    let lead: Int

    init(_ samples: [Float], sampleRate: Int, configuration: PitchTrackerConfiguration) throws {
        guard sampleRate > 0 else { throw AudioError.invalidArgument("sample rate must be positive") }
        guard configuration.minimumFrequency > 0, configuration.maximumFrequency > configuration.minimumFrequency else {
            throw AudioError.invalidArgument("pitch range must satisfy 0 < minimum < maximum")
        }
        guard configuration.maximumFrequency < Double(configuration.analysisSampleRate) / 4 else {
            throw AudioError.invalidArgument("maximum frequency must be below a quarter of the analysis rate")
        }
        // Back-pointers are UInt16: 20 bins per semitone over 3 kHz still fits.
        guard (1...20).contains(configuration.binsPerSemitone), configuration.candidatesPerFrame >= 1 else {
            throw AudioError.invalidArgument("binsPerSemitone must be in 1...20 and candidatesPerFrame at least 1")
        }
        let hop = Double(configuration.analysisSampleRate) * configuration.hopSeconds
        guard hop >= 1, abs(hop - hop.rounded()) < 1e-6 else {
            throw AudioError.invalidArgument("the hop must be a whole number of samples at the analysis rate")
        }
        self.configuration = configuration
        rate = configuration.analysisSampleRate
        self.hop = Int(hop.rounded())
        minimumLag = max(2, Int((Double(rate) / configuration.maximumFrequency).rounded(.down)))
        maximumLag = Int((Double(rate) / configuration.minimumFrequency).rounded(.up)) + 1
        windowLength = max(maximumLag, Int((configuration.windowSeconds * Double(rate)).rounded()))
        duration = Double(samples.count) / Double(sampleRate)

        let resampled = sampleRate == rate
            ? samples
            : try Resampler.resample(AudioBuffer(sampleRate: sampleRate, channels: [samples]), to: rate, quality: .fastest).channels[0]
        frameCount = samples.isEmpty ? 0 : Int((duration / configuration.hopSeconds).rounded(.up))
        signal = resampled
        lead = (windowLength + maximumLag) / 2
    }

    /// Runs the difference function over every frame, handing `body` the
    /// frame index, d'(τ) and the frame's mean-square level.
    private func forEachFrame(progress: (Double) throws -> Void,
                              _ body: (Int, UnsafeMutableBufferPointer<Float>, Float) -> Void) throws {
        let difference = try DifferenceFunction(windowLength: windowLength, maximumLag: maximumLag)
        var normalized = [Float](repeating: 1, count: maximumLag + 1)
        let segmentLength = difference.segmentLength
        let progressEvery = max(1, frameCount / 50)
        // Frames that reach past either end read a zero-padded copy instead
        // of the signal itself, so the signal is never copied whole.
        var edgeBuffer = [Float](repeating: 0, count: segmentLength)
        try signal.withUnsafeBufferPointer { signal in
            try edgeBuffer.withUnsafeMutableBufferPointer { edge in
                try normalized.withUnsafeMutableBufferPointer { values in
                    for frame in 0..<frameCount {
                        let start = frame * hop - lead
                        let segment: UnsafeBufferPointer<Float>
                        if start >= 0, start + segmentLength <= signal.count {
                            segment = UnsafeBufferPointer(rebasing: signal[start..<start + segmentLength])
                        } else {
                            for i in 0..<segmentLength {
                                let index = start + i
                                edge[i] = index >= 0 && index < signal.count ? signal[index] : 0
                            }
                            segment = UnsafeBufferPointer(edge)
                        }
                        let level = difference.normalizedDifference(segment, into: values)
                        body(frame, values, level)
                        if frame % progressEvery == 0 { try progress(Double(frame) / Double(frameCount)) }
                    }
                }
            }
        }
        try progress(1)
    }

    /// pYIN stage 1. A trough of d' is YIN's answer for every threshold it is
    /// the first trough under, so its probability is the prior mass of the
    /// thresholds between its value and the lowest value before it; the
    /// thresholds no trough gets under give the global minimum, down-weighted.
    func candidates(progress: (Double) throws -> Void) throws -> FrameCandidates {
        let capacity = configuration.candidatesPerFrame
        var result = FrameCandidates(
            frameCount: frameCount, capacity: capacity, counts: [Int32](repeating: 0, count: frameCount),
            f0: [Float](repeating: 0, count: frameCount * capacity),
            probability: [Float](repeating: 0, count: frameCount * capacity),
            voicedMass: [Float](repeating: 0, count: frameCount),
            levels: [Float](repeating: silenceDecibels, count: frameCount))
        let cumulativePrior = Self.cumulativeThresholdPrior(alpha: configuration.thresholdAlpha, beta: configuration.thresholdBeta)
        let noTroughWeight = configuration.noTroughWeight
        let (minimumLag, maximumLag, silence) = (minimumLag, maximumLag, configuration.silenceLevel)
        let (lowestF0, highestF0) = (Float(configuration.minimumFrequency), Float(configuration.maximumFrequency))
        let rate = Double(self.rate)
        var troughLags = [Int](repeating: 0, count: maximumLag)
        var troughMass = [Double](repeating: 0, count: maximumLag)

        try cumulativePrior.withUnsafeBufferPointer { prior in
            @inline(__always) func cumulative(_ value: Float) -> Double {
                prior[min(100, max(0, Int((Double(value) * 100).rounded(.down))))]
            }
            try troughLags.withUnsafeMutableBufferPointer { lags in
                try troughMass.withUnsafeMutableBufferPointer { masses in
                    try forEachFrame(progress: progress) { frame, d, level in
                        result.levels[frame] = decibels(meanSquare: level)
                        guard level > silence else { return }
                        var found = 0
                        var lowest: Float = 1
                        for lag in (minimumLag + 1)..<maximumLag where d[lag] < d[lag - 1] && d[lag] <= d[lag + 1] && d[lag] < lowest {
                            masses[found] = cumulative(lowest) - cumulative(d[lag])
                            lags[found] = lag
                            lowest = d[lag]
                            found += 1
                        }
                        guard found > 0 else { return }
                        masses[found - 1] += noTroughWeight * cumulative(lowest)
                        var written = 0
                        var total: Float = 0
                        let base = frame * capacity
                        // The latest troughs are the deepest; keep those when there are too many.
                        for index in max(0, found - capacity)..<found where masses[index] > 0 {
                            let f0 = Float(rate / parabolicLag(d, at: lags[index]))
                            guard f0 >= lowestF0 * 0.97, f0 <= highestF0 * 1.03 else { continue }
                            result.f0[base + written] = f0
                            result.probability[base + written] = Float(masses[index])
                            total += Float(masses[index])
                            written += 1
                        }
                        result.counts[frame] = Int32(written)
                        result.voicedMass[frame] = min(total, 1)
                    }
                }
            }
        }
        return result
    }

    /// F(i) = prior probability that the threshold is ≤ i/100, for i in 0...100.
    static func cumulativeThresholdPrior(alpha: Double, beta: Double) -> [Double] {
        let density = (1...100).map { i -> Double in
            let s = Double(i) / 100
            return s < 1 ? pow(s, alpha - 1) * pow(1 - s, beta - 1) : 0
        }
        let total = density.reduce(0, +)
        var cumulative = [0.0]
        for value in density { cumulative.append(cumulative.last! + value / total) }
        return cumulative
    }

    func plainYIN() throws -> [PitchFrame] {
        var frames = [PitchFrame](repeating: PitchFrame(time: 0, f0: 0, voiced: false, confidence: 0), count: frameCount)
        let threshold = Float(configuration.yinThreshold)
        let (minimumLag, maximumLag, silence, rate) = (minimumLag, maximumLag, configuration.silenceLevel, Double(self.rate))
        let (lowestF0, highestF0) = (Float(configuration.minimumFrequency), Float(configuration.maximumFrequency))
        let hopSeconds = configuration.hopSeconds
        try forEachFrame(progress: { _ in }) { frame, d, level in
            frames[frame].time = Double(frame) * hopSeconds
            frames[frame].level = decibels(meanSquare: level)
            guard level > silence else { return }
            for lag in (minimumLag + 1)..<maximumLag where d[lag] < threshold && d[lag] < d[lag - 1] && d[lag] <= d[lag + 1] {
                let f0 = Float(rate / parabolicLag(d, at: lag))
                guard f0 >= lowestF0 * 0.97, f0 <= highestF0 * 1.03 else { return }
                frames[frame].f0 = f0
                frames[frame].voiced = true
                frames[frame].confidence = 1 - d[lag]
                return
            }
        }
        return frames
    }
}
