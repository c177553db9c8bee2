import CKissFFT
import Foundation

/// A complex spectrogram, frames × (fftSize / 2 + 1) bins, real and
/// imaginary parts in separate row-major matrices.
public struct Spectrogram: Sendable, Equatable {
    public var real: Matrix
    public var imaginary: Matrix

    public var frameCount: Int { real.rows }
    public var binCount: Int { real.columns }

    public func magnitude() -> Matrix {
        var out = Matrix(rows: frameCount, columns: binCount)
        for i in out.values.indices {
            out.values[i] = (real.values[i] * real.values[i] + imaginary.values[i] * imaginary.values[i]).squareRoot()
        }
        return out
    }

    public func phase() -> Matrix {
        var out = Matrix(rows: frameCount, columns: binCount)
        for i in out.values.indices { out.values[i] = atan2(imaginary.values[i], real.values[i]) }
        return out
    }

    /// The spectrogram scaled bin by bin by `mask` (e.g. a soft separation mask).
    public func masked(by mask: Matrix) -> Spectrogram {
        precondition(mask.rows == frameCount && mask.columns == binCount, "mask shape mismatch")
        var out = self
        for i in mask.values.indices {
            out.real.values[i] *= mask.values[i]
            out.imaginary.values[i] *= mask.values[i]
        }
        return out
    }
}

/// Short-time Fourier transform on KissFFT real transforms. Frames are
/// centred (the signal is zero-padded by half an FFT at each end), and the
/// inverse divides the overlap-added, re-windowed frames by the summed squared
/// window, which reconstructs the input exactly for any window and hop whose
/// frames cover every sample. Plans and scratch buffers are made once per
/// instance; an instance is not for concurrent use (make one per task).
public final class STFT {
    public let fftSize: Int
    public let hopSize: Int
    public let window: [Float]
    private let forwardPlan: kiss_fftr_cfg
    private let inversePlan: kiss_fftr_cfg
    private var timeScratch: [Float]
    private var frequencyScratch: [kiss_fft_cpx]

    public var binCount: Int { fftSize / 2 + 1 }

    public init(fftSize: Int, hopSize: Int, window: WindowFunction = .hann) throws(AudioError) {
        guard fftSize >= 4, fftSize % 2 == 0 else { throw .invalidArgument("FFT size must be even and at least 4") }
        guard hopSize > 0, hopSize <= fftSize else { throw .invalidArgument("hop must be in 1...fftSize") }
        guard let forward = kiss_fftr_alloc(Int32(fftSize), 0, nil, nil),
              let inverse = kiss_fftr_alloc(Int32(fftSize), 1, nil, nil)
        else { throw .invalidArgument("cannot plan an FFT of size \(fftSize)") }
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.window = window.coefficients(fftSize)
        forwardPlan = forward
        inversePlan = inverse
        timeScratch = [Float](repeating: 0, count: fftSize)
        frequencyScratch = [kiss_fft_cpx](repeating: kiss_fft_cpx(), count: fftSize / 2 + 1)
    }

    deinit {
        free(UnsafeMutableRawPointer(forwardPlan))
        free(UnsafeMutableRawPointer(inversePlan))
    }

    /// Number of frames for a signal of `length` samples.
    public func frameCount(forLength length: Int) -> Int {
        1 + (length + hopSize - 1) / hopSize
    }

    public func forward(_ signal: [Float]) -> Spectrogram {
        let frames = frameCount(forLength: signal.count)
        var real = Matrix(rows: frames, columns: binCount)
        var imaginary = Matrix(rows: frames, columns: binCount)
        let pad = fftSize / 2
        signal.withUnsafeBufferPointer { input in
            window.withUnsafeBufferPointer { window in
                for frame in 0..<frames {
                    let start = frame * hopSize - pad
                    timeScratch.withUnsafeMutableBufferPointer { time in
                        for i in 0..<fftSize {
                            let index = start + i
                            time[i] = (index >= 0 && index < input.count) ? input[index] * window[i] : 0
                        }
                        frequencyScratch.withUnsafeMutableBufferPointer { spectrum in
                            kiss_fftr(forwardPlan, time.baseAddress, spectrum.baseAddress)
                        }
                    }
                    let base = frame * binCount
                    for bin in 0..<binCount {
                        real.values[base + bin] = frequencyScratch[bin].r
                        imaginary.values[base + bin] = frequencyScratch[bin].i
                    }
                }
            }
        }
        return Spectrogram(real: real, imaginary: imaginary)
    }

    /// The signal of `length` samples whose STFT is `spectrogram`.
    public func inverse(_ spectrogram: Spectrogram, length: Int) -> [Float] {
        let pad = fftSize / 2
        let paddedLength = (spectrogram.frameCount - 1) * hopSize + fftSize
        var output = [Float](repeating: 0, count: paddedLength)
        var windowSum = [Float](repeating: 0, count: paddedLength)
        let scale = 1 / Float(fftSize)
        for frame in 0..<spectrogram.frameCount {
            let base = frame * binCount
            for bin in 0..<binCount {
                frequencyScratch[bin] = kiss_fft_cpx(r: spectrogram.real.values[base + bin], i: spectrogram.imaginary.values[base + bin])
            }
            timeScratch.withUnsafeMutableBufferPointer { time in
                frequencyScratch.withUnsafeMutableBufferPointer { spectrum in
                    kiss_fftri(inversePlan, spectrum.baseAddress, time.baseAddress)
                }
                let start = frame * hopSize
                output.withUnsafeMutableBufferPointer { out in
                    windowSum.withUnsafeMutableBufferPointer { sum in
                        for i in 0..<fftSize {
                            out[start + i] += time[i] * scale * window[i]
                            sum[start + i] += window[i] * window[i]
                        }
                    }
                }
            }
        }
        var signal = [Float](repeating: 0, count: length)
        for i in 0..<min(length, paddedLength - pad) {
            let norm = windowSum[i + pad]
            signal[i] = norm > 1e-8 ? output[i + pad] / norm : 0
        }
        return signal
    }
}
