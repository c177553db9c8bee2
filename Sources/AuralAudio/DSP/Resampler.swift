import CSampleRate

/// Sample-rate conversion through libsamplerate, streaming block by block so
/// long files need no more memory than a block.
public final class Resampler {
    public enum Quality: Sendable {
        case best, medium, fastest
        var converter: Int32 {
            switch self {
            case .best: Int32(SRC_SINC_BEST_QUALITY)
            case .medium: Int32(SRC_SINC_MEDIUM_QUALITY)
            case .fastest: Int32(SRC_SINC_FASTEST)
            }
        }
    }

    public let inputRate: Int
    public let outputRate: Int
    public let channelCount: Int
    private let state: OpaquePointer
    private var output: [Float] = []

    public init(from inputRate: Int, to outputRate: Int, channelCount: Int, quality: Quality = .medium) throws(AudioError) {
        guard inputRate > 0, outputRate > 0, channelCount > 0 else {
            throw .invalidArgument("sample rates and channel count must be positive")
        }
        var error: Int32 = 0
        guard let state = src_new(quality.converter, Int32(channelCount), &error) else {
            throw .invalidArgument("libsamplerate: \(String(cString: src_strerror(error)))")
        }
        self.state = state
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channelCount = channelCount
    }

    deinit { src_delete(state) }

    var ratio: Double { Double(outputRate) / Double(inputRate) }

    /// Converts the next block; pass `isLast` with the final block to flush
    /// the converter's delay line.
    public func process(_ block: AudioBuffer, isLast: Bool) throws(AudioError) -> AudioBuffer {
        guard block.channelCount == channelCount else { throw .invalidArgument("channel count changed mid-stream") }
        var input = block.interleaved()
        var produced: [Float] = []
        produced.reserveCapacity(Int(Double(input.count) * ratio) + 64 * channelCount)
        var offset = 0
        // libsamplerate may need several calls to drain a block (and more at the end).
        while true {
            let capacity = max(4096, Int(Double(input.count / channelCount - offset) * ratio) + 256)
            if output.count < capacity * channelCount { output = [Float](repeating: 0, count: capacity * channelCount) }
            var data = SRC_DATA()
            let (used, generated, error): (Int, Int, Int32) = input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    data.data_in = UnsafePointer(inBuffer.baseAddress.map { $0 + offset * channelCount })
                    data.input_frames = inBuffer.count / channelCount - offset
                    data.data_out = outBuffer.baseAddress
                    data.output_frames = capacity
                    data.src_ratio = ratio
                    data.end_of_input = isLast ? 1 : 0
                    let error = src_process(state, &data)
                    return (Int(data.input_frames_used), Int(data.output_frames_gen), error)
                }
            }
            guard error == 0 else { throw .invalidArgument("libsamplerate: \(String(cString: src_strerror(error)))") }
            produced.append(contentsOf: output[0..<(generated * channelCount)])
            offset += used
            let inputLeft = input.count / channelCount - offset
            if inputLeft == 0 && (!isLast || generated == 0) { break }
        }
        input.removeAll()
        return AudioBuffer.deinterleave(produced[...], channelCount: channelCount, sampleRate: outputRate)
    }

    /// Converts a whole buffer in one go.
    public static func resample(_ buffer: AudioBuffer, to rate: Int, quality: Quality = .medium) throws(AudioError) -> AudioBuffer {
        if buffer.sampleRate == rate { return buffer }
        let resampler = try Resampler(from: buffer.sampleRate, to: rate, channelCount: buffer.channelCount, quality: quality)
        return try resampler.process(buffer, isLast: true)
    }
}
