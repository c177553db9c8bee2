import AuralAudio
import Foundation
import Testing
import AuralRPC

@Suite("Resampling, STFT and spectral helpers")
struct DSPTests {
    @Test func resamplerKeepsFrequencyAmplitudeAndLength() async throws {
        try await runOnOwnThread {
            let input = AudioBuffer(sampleRate: 44100, channels: [Signals.sine(1000, sampleRate: 44100, seconds: 1)])
            let output = try Resampler.resample(input, to: 16000, quality: .best)
            #expect(output.sampleRate == 16000)
            #expect(abs(output.frameCount - 16000) <= 2)
            #expect(abs(Signals.dominantFrequency(output.channels[0], sampleRate: 16000) - 1000) <= 1)
            // Steady-state amplitude (skip the filter's edges).
            let middle = Array(output.channels[0][2000..<14000])
            #expect(abs(Signals.rms(middle) - Float(0.5 / 2.0.squareRoot())) < 0.005)
            // Against the exact 1 kHz sine at 16 kHz.
            let exact = Signals.sine(1000, sampleRate: 16000, seconds: 1)
            #expect(Signals.snr(Array(exact[2000..<14000]), middle) > 60)
        }
    }

    @Test func streamingResamplingEqualsOneShot() async throws {
        try await runOnOwnThread {
            let signal = Signals.noise(count: 48000)
            let whole = try Resampler.resample(AudioBuffer(sampleRate: 48000, channels: [signal]), to: 22050)
            let resampler = try Resampler(from: 48000, to: 22050, channelCount: 1)
            var pieces: [Float] = []
            for start in stride(from: 0, to: 48000, by: 5000) {
                let block = AudioBuffer(sampleRate: 48000, channels: [Array(signal[start..<min(start + 5000, 48000)])])
                pieces += try resampler.process(block, isLast: start + 5000 >= 48000).channels[0]
            }
            #expect(pieces.count == whole.frameCount)
            #expect(Signals.snr(whole.channels[0], pieces) > 100)
        }
    }

    @Test(arguments: [
        (WindowFunction.hann, 1024, 256), (.hann, 1024, 512), (.hann, 2048, 441), (.hamming, 512, 171),
        (.blackman, 1024, 128), (.rectangular, 256, 256), (.hann, 16, 3),
    ])
    func stftReconstructsPerfectly(window: WindowFunction, fftSize: Int, hop: Int) async throws {
        try await runOnOwnThread { try Self.checkReconstruction(window: window, fftSize: fftSize, hop: hop) }
    }

    static func checkReconstruction(window: WindowFunction, fftSize: Int, hop: Int) throws {
        let stft = try STFT(fftSize: fftSize, hopSize: hop, window: window)
        for length in [1, fftSize - 1, 10_007] {
            let signal = Signals.noise(count: length, seed: UInt64(length))
            let spectrogram = stft.forward(signal)
            #expect(spectrogram.binCount == fftSize / 2 + 1)
            let back = stft.inverse(spectrogram, length: length)
            let error = zip(signal, back).map { abs($0 - $1) }.max() ?? 0
            #expect(error < 1e-5, "\(window) \(fftSize)/\(hop), length \(length): max error \(error)")
        }
    }

    @Test func stftPutsASineInItsBin() async throws {
        try await runOnOwnThread {
            let stft = try STFT(fftSize: 2048, hopSize: 512)
            let magnitude = stft.forward(Signals.sine(1000, sampleRate: 44100, seconds: 0.5)).magnitude()
            let frame = Array(magnitude.row(10))
            let peak = frame.firstIndex(of: frame.max()!)!
            #expect(peak == Int((1000.0 * 2048 / 44100).rounded()))
        }
    }

    @Test func runningMedianMatchesTheDefinition() async throws {
        try await runOnOwnThread {
            let input = Signals.noise(count: 500, seed: 7)
            for width in [1, 3, 17, 31] {
                var output = [Float](repeating: 0, count: input.count)
                MedianFilter.running(input, width: width, into: &output)
                let half = width / 2
                for i in input.indices {
                    let window = (i - half...i + half).map { input[min(max($0, 0), input.count - 1)] }.sorted()
                    #expect(output[i] == window[half])
                }
            }
        }
    }

    @Test func medianFiltersSeparateSteadyTonesFromClicks() async throws {
        try await runOnOwnThread {
            // Rows are frames: a steady line at bin 5 and a click in frame 20.
            var matrix = Matrix(rows: 40, columns: 30)
            for frame in 0..<40 { matrix[frame, 5] = 1 }
            for bin in 0..<30 { matrix[20, bin] = 1 }
            let harmonic = MedianFilter.alongTime(matrix, width: 9)
            let percussive = MedianFilter.alongFrequency(matrix, width: 9)
            #expect(harmonic[20, 12] == 0 && harmonic[10, 5] == 1)
            #expect(percussive[20, 12] == 1 && percussive[10, 5] == 0)
        }
    }

    @Test func filterBanks() async throws {
        try await runOnOwnThread {
            let mel = FilterBank.mel(sampleRate: 22050, fftSize: 2048, bands: 64)
            #expect(mel.weights.rows == 64 && mel.weights.columns == 1025)
            #expect(zip(mel.centers, mel.centers.dropFirst()).allSatisfy { $0 < $1 })
            #expect(abs(FilterBank.melToHz(FilterBank.hzToMel(3000)) - 3000) < 1e-6)

            let notes = FilterBank.logFrequency(sampleRate: 44100, fftSize: 8192, minMidi: 36, maxMidi: 96)
            #expect(notes.weights.rows == 61)
            let stft = try! STFT(fftSize: 8192, hopSize: 2048)
            let bands = notes.apply(stft.forward(Signals.sine(440, sampleRate: 44100, seconds: 1)).magnitude())
            let frame = Array(bands.row(5))
            #expect(frame.firstIndex(of: frame.max()!)! == 69 - 36)  // A4
        }
    }
}
