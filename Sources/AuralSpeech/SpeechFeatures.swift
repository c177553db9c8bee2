import AuralAudio
import Foundation

/// Frame-level features of 16 kHz speech, everything diarization needs after
/// the audio is gone: 25 ms frames every 10 ms, frame `i` centred on sample
/// `i · hop`. Keeping these instead of the signal is what bounds memory on
/// long files: 21 floats per 10 ms is 30 MB an hour, the 16 kHz signal 230 MB.
public struct SpeechFrames: Sendable {
    public static let sampleRate = 16_000
    public static let hopSeconds = 0.01

    /// Frame energy in dB (10·log10 of the mean squared sample, floored at -120).
    public var energyDB: [Float] = []
    /// Spectral flatness of 300–4000 Hz (geometric over arithmetic mean of the
    /// power), in (0, 1]: near 1 for hiss, low for voiced speech.
    public var flatness: [Float] = []
    /// Mel-frequency cepstral coefficients c1…c`cepstra`, frames × cepstra,
    /// row-major. c0 (loudness) is left out: it says more about the microphone
    /// distance than about the speaker.
    public var cepstra: [Float] = []
    public let cepstrumCount: Int

    public init(cepstrumCount: Int) { self.cepstrumCount = cepstrumCount }

    public var count: Int { energyDB.count }
    public var duration: Double { Double(count) * Self.hopSeconds }

    /// The cepstra of frame `i`.
    public func cepstrum(_ i: Int) -> ArraySlice<Float> {
        cepstra[(i * cepstrumCount)..<((i + 1) * cepstrumCount)]
    }

    public static func frame(at seconds: Double) -> Int { Int((seconds / hopSeconds).rounded()) }
    public static func seconds(ofFrame frame: Int) -> Double { Double(frame) * hopSeconds }
}

/// Computes `SpeechFrames` from 16 kHz mono audio given in pieces of any
/// length, so a long file is decoded, resampled and reduced to features block
/// by block. Not for concurrent use (it owns an FFT plan and scratch buffers).
public final class SpeechFeatureExtractor {
    public static let frameLength = 400          // 25 ms
    public static let hop = 160                  // 10 ms
    static let fftSize = 512
    static let melBands = 40
    public static let defaultCepstra = 19

    private let fft: RealFFT
    private let window: [Float]
    private let mel: FilterBank
    /// cepstra × bands DCT-II rows for c1…c`cepstra` (orthonormal scaling).
    private let dct: [Float]
    private let flatnessBins: Range<Int>
    private var frames: SpeechFrames
    /// Samples not yet consumed by a frame, starting at sample `pendingStart`.
    private var pending: [Float]
    private var pendingStart = -SpeechFeatureExtractor.frameLength / 2   // frame 0 is centred on sample 0
    private var nextFrameStart = -SpeechFeatureExtractor.frameLength / 2
    private var timeScratch: [Float]
    private var spectrumScratch: [Float]
    private var powerScratch: [Float]
    private var melScratch: [Float]

    public init(cepstra: Int = defaultCepstra) {
        let fftSize = Self.fftSize
        fft = try! RealFFT(size: fftSize)  // a fixed, valid size
        window = WindowFunction.hamming.coefficients(Self.frameLength)
        mel = FilterBank.mel(sampleRate: SpeechFrames.sampleRate, fftSize: fftSize, bands: Self.melBands, minHz: 60, maxHz: 7600)
        let bands = Self.melBands
        var dct = [Float](repeating: 0, count: cepstra * bands)
        for k in 1...cepstra {
            for n in 0..<bands {
                dct[(k - 1) * bands + n] = Float(sqrt(2 / Double(bands)) * cos(Double.pi * Double(k) * (Double(n) + 0.5) / Double(bands)))
            }
        }
        self.dct = dct
        let binHz = Double(SpeechFrames.sampleRate) / Double(fftSize)
        flatnessBins = Int(300 / binHz)..<Int(4000 / binHz)
        frames = SpeechFrames(cepstrumCount: cepstra)
        // Half a frame of zeros before sample 0 centres frame 0 on it.
        pending = [Float](repeating: 0, count: Self.frameLength / 2)
        timeScratch = [Float](repeating: 0, count: fftSize)
        spectrumScratch = [Float](repeating: 0, count: fftSize + 2)
        powerScratch = [Float](repeating: 0, count: fftSize / 2 + 1)
        melScratch = [Float](repeating: 0, count: bands)
    }

    /// Adds the next samples (16 kHz mono).
    public func append(_ samples: [Float]) {
        pending.append(contentsOf: samples)
        let length = Self.frameLength
        var offset = nextFrameStart - pendingStart
        while offset + length <= pending.count {
            computeFrame(from: offset)
            offset += Self.hop
            nextFrameStart += Self.hop
        }
        // Keep only what the next frame still needs.
        let consumed = nextFrameStart - pendingStart
        if consumed > 0 {
            pending.removeFirst(min(consumed, pending.count))
            pendingStart += consumed
        }
    }

    /// The frames of everything appended: the signal is padded with half a
    /// frame of zeros so the last frame is centred at or after its end.
    /// One frame per hop, `1 + samples / hop` in all.
    public func finish(totalSamples: Int) -> SpeechFrames {
        let wanted = totalSamples / Self.hop + 1
        append([Float](repeating: 0, count: Self.frameLength))
        var result = frames
        if result.count > wanted {
            result.energyDB.removeLast(result.count - wanted)
            result.flatness.removeLast(result.flatness.count - wanted)
            result.cepstra.removeLast(result.cepstra.count - wanted * result.cepstrumCount)
        }
        return result
    }

    /// Features of a whole signal at once.
    public static func frames(of samples: [Float], cepstra: Int = defaultCepstra) -> SpeechFrames {
        let extractor = SpeechFeatureExtractor(cepstra: cepstra)
        extractor.append(samples)
        return extractor.finish(totalSamples: samples.count)
    }

    private func computeFrame(from offset: Int) {
        let length = Self.frameLength
        var energy: Float = 0
        pending.withUnsafeBufferPointer { input in
            timeScratch.withUnsafeMutableBufferPointer { time in
                // Pre-emphasis (first difference) flattens the spectral tilt of
                // voice so the upper formants weigh in the cepstrum too.
                var previous = offset > 0 ? input[offset - 1] : 0
                for i in 0..<length {
                    let x = input[offset + i]
                    energy += x * x
                    time[i] = (x - 0.97 * previous) * window[i]
                    previous = x
                }
                for i in length..<time.count { time[i] = 0 }
                spectrumScratch.withUnsafeMutableBufferPointer { spectrum in
                    fft.forward(time.baseAddress!, into: spectrum.baseAddress!)
                }
            }
        }
        frames.energyDB.append(10 * log10(max(energy / Float(length), 1e-12)))

        let bins = powerScratch.count
        spectrumScratch.withUnsafeBufferPointer { spectrum in
            powerScratch.withUnsafeMutableBufferPointer { power in
                for k in 0..<bins { power[k] = spectrum[2 * k] * spectrum[2 * k] + spectrum[2 * k + 1] * spectrum[2 * k + 1] }
            }
        }
        var logSum: Float = 0, sum: Float = 0
        for k in flatnessBins {
            let p = powerScratch[k] + 1e-10
            logSum += log(p)
            sum += p
        }
        let n = Float(flatnessBins.count)
        frames.flatness.append(exp(logSum / n) / (sum / n))

        let bands = Self.melBands
        mel.weights.values.withUnsafeBufferPointer { weights in
            for band in 0..<bands {
                var total: Float = 0
                let base = band * bins
                for k in 0..<bins { total += weights[base + k] * powerScratch[k] }
                melScratch[band] = log(total + 1e-8)
            }
        }
        for k in 0..<frames.cepstrumCount {
            var c: Float = 0
            let base = k * bands
            for band in 0..<bands { c += dct[base + band] * melScratch[band] }
            frames.cepstra.append(c)
        }
    }
}
