import AuralAudio

/// Mono audio at the analysis rate. Chords, beats and key need nothing above
/// 5 kHz, so everything runs at 11,025 Hz: a quarter of the FFT work of
/// 44.1 kHz for the same window length in seconds.
public struct AnalysisSignal: Sendable {
    public static let defaultRate = 11_025

    public let samples: [Float]
    public let sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// Mixes `buffer` to mono and resamples it to `rate`.
    public init(_ buffer: AudioBuffer, rate: Int = defaultRate) throws(AudioError) {
        let mono = AudioBuffer(sampleRate: buffer.sampleRate, channels: [buffer.mono()])
        self.init(samples: try Resampler.resample(mono, to: rate, quality: .fastest).channels[0], sampleRate: rate)
    }

    /// Decodes a file block by block, mixing each block to mono and resampling
    /// it as it goes, so memory holds only the analysis-rate signal (26 MB for
    /// ten minutes) and never the decoded file. `progress` gets the fraction
    /// decoded and may throw to stop.
    public static func read(path: String, rate: Int = defaultRate,
                            progress: (Double) throws -> Void = { _ in }) throws -> (AudioInfo, AnalysisSignal) {
        let reader = try AudioFileReader(path: path)
        let info = reader.info
        let resampler = try Resampler(from: info.sampleRate, to: rate, channelCount: 1, quality: .fastest)
        var samples: [Float] = []
        samples.reserveCapacity(Int(Double(info.frameCount) * Double(rate) / Double(info.sampleRate)) + 1024)
        var decoded = 0
        // One block of look-ahead, so the last block is the one that flushes the resampler.
        var pending = try reader.read(frames: 1 << 16)
        guard pending != nil else { throw AudioError.empty }
        while let block = pending {
            decoded += block.frameCount
            pending = try reader.read(frames: 1 << 16)
            let mono = AudioBuffer(sampleRate: info.sampleRate, channels: [block.mono()])
            samples.append(contentsOf: try resampler.process(mono, isLast: pending == nil).channels[0])
            try progress(Double(decoded) / Double(max(1, info.frameCount)))
        }
        return (info, AnalysisSignal(samples: samples, sampleRate: rate))
    }
}
