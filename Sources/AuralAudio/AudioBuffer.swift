/// Planar floating-point audio: one contiguous array per channel, samples in
/// [-1, 1] at `sampleRate`. Analysis code works on these; files are streamed
/// in blocks of them so memory does not grow with duration.
public struct AudioBuffer: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: [[Float]]

    public init(sampleRate: Int, channels: [[Float]]) {
        precondition(!channels.isEmpty, "an audio buffer has at least one channel")
        precondition(channels.allSatisfy { $0.count == channels[0].count }, "channels differ in length")
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public init(sampleRate: Int, channelCount: Int, frames: Int) {
        self.init(sampleRate: sampleRate, channels: Array(repeating: [Float](repeating: 0, count: frames), count: channelCount))
    }

    public var channelCount: Int { channels.count }
    public var frameCount: Int { channels[0].count }
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The average of all channels.
    public func mono() -> [Float] {
        guard channelCount > 1 else { return channels[0] }
        var sum = channels[0]
        for channel in channels.dropFirst() {
            for i in sum.indices { sum[i] += channel[i] }
        }
        let scale = 1 / Float(channelCount)
        for i in sum.indices { sum[i] *= scale }
        return sum
    }

    /// The same audio with `count` channels: mono is duplicated, more
    /// channels are averaged down to mono first.
    public func withChannelCount(_ count: Int) -> AudioBuffer {
        if count == channelCount { return self }
        let mono = mono()
        return AudioBuffer(sampleRate: sampleRate, channels: Array(repeating: mono, count: count))
    }

    /// Frames `range` of every channel.
    public func slice(_ range: Range<Int>) -> AudioBuffer {
        AudioBuffer(sampleRate: sampleRate, channels: channels.map { Array($0[range]) })
    }

    /// Interleaved samples (frame by frame), the layout libsndfile uses.
    func interleaved() -> [Float] {
        let frames = frameCount, count = channelCount
        if count == 1 { return channels[0] }
        var out = [Float](repeating: 0, count: frames * count)
        for (c, channel) in channels.enumerated() {
            for i in 0..<frames { out[i * count + c] = channel[i] }
        }
        return out
    }

    static func deinterleave(_ samples: ArraySlice<Float>, channelCount: Int, sampleRate: Int) -> AudioBuffer {
        let frames = samples.count / channelCount
        if channelCount == 1 { return AudioBuffer(sampleRate: sampleRate, channels: [Array(samples)]) }
        var channels = Array(repeating: [Float](repeating: 0, count: frames), count: channelCount)
        let base = samples.startIndex
        for c in 0..<channelCount {
            channels[c].withUnsafeMutableBufferPointer { out in
                for i in 0..<frames { out[i] = samples[base + i * channelCount + c] }
            }
        }
        return AudioBuffer(sampleRate: sampleRate, channels: channels)
    }
}
