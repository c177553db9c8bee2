import CKissFFT
import CSampleRate
import CSndFile
import Foundation
import Testing

/// The C libraries the audio stages build on link and behave as expected.
@Suite("System libraries")
struct SystemLibraryTests {
    @Test func kissFFTRealTransformFindsASinusoid() throws {
        let n = 256
        let config = try #require(kiss_fftr_alloc(Int32(n), 0, nil, nil))
        defer { free(UnsafeMutableRawPointer(config)) }  // kiss_fftr_alloc returns one malloc block
        let input = (0..<n).map { Float(sin(2 * Double.pi * 8 * Double($0) / Double(n))) }
        var output = [kiss_fft_cpx](repeating: kiss_fft_cpx(), count: n / 2 + 1)
        kiss_fftr(config, input, &output)
        let magnitudes = output.map { hypot($0.r, $0.i) }
        #expect(magnitudes.firstIndex(of: magnitudes.max()!) == 8)
        #expect(abs(magnitudes[8] - Float(n / 2)) < 1e-2)
    }

    @Test func libsamplerateHalvesTheRate() {
        let input = (0..<4410).map { Float(sin(2 * Double.pi * 440 * Double($0) / 44100)) }
        var output = [Float](repeating: 0, count: 2300)
        var error: Int32 = 0
        input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var data = SRC_DATA()
                data.data_in = inBuffer.baseAddress
                data.input_frames = inBuffer.count
                data.data_out = outBuffer.baseAddress
                data.output_frames = outBuffer.count
                data.src_ratio = 0.5
                error = src_simple(&data, Int32(SRC_SINC_FASTEST), 1)
                #expect(abs(data.output_frames_gen - 2205) <= 2)
            }
        }
        #expect(error == 0)
    }

    @Test func libsndfileWritesAndReadsBackAWav() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-\(UUID()).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var info = SF_INFO()
        info.samplerate = 16000
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        let samples = (0..<1600).map { Float(sin(Double($0) / 10)) * 0.5 }
        let writer = try #require(sf_open(path, Int32(SFM_WRITE), &info))
        #expect(sf_write_float(writer, samples, sf_count_t(samples.count)) == samples.count)
        sf_close(writer)

        var readInfo = SF_INFO()
        let reader = try #require(sf_open(path, Int32(SFM_READ), &readInfo))
        defer { sf_close(reader) }
        #expect(readInfo.frames == 1600 && readInfo.samplerate == 16000)
        var back = [Float](repeating: 0, count: 1600)
        #expect(sf_read_float(reader, &back, 1600) == 1600)
        #expect(zip(samples, back).allSatisfy { abs($0 - $1) < 1e-3 })
    }
}
