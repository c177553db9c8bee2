import AuralAudio
import CKissFFT
import Foundation

/// Magnitude spectra of Hann-windowed frames centred on `frame * hopSize`
/// (zero outside the signal), computed one frame at a time into the caller's
/// buffer: one FFT plan and one scratch buffer per instance, no allocation
/// per frame. Not for concurrent use; make one per analysis.
final class MagnitudeFrames {
    let fftSize: Int
    let hopSize: Int
    private let plan: kiss_fftr_cfg
    private let window: [Float]
    private var time: [Float]
    private var spectrum: [kiss_fft_cpx]

    var binCount: Int { fftSize / 2 + 1 }
    /// Sum of the window: a full-scale sine centred on a bin reads about half of it.
    let windowSum: Float

    init(fftSize: Int, hopSize: Int) {
        precondition(fftSize >= 4 && fftSize % 2 == 0 && hopSize > 0, "bad FFT size or hop")
        guard let plan = kiss_fftr_alloc(Int32(fftSize), 0, nil, nil) else { fatalError("kiss_fftr_alloc(\(fftSize)) failed") }
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.plan = plan
        window = WindowFunction.hann.coefficients(fftSize)
        windowSum = window.reduce(0, +)
        time = [Float](repeating: 0, count: fftSize)
        spectrum = [kiss_fft_cpx](repeating: kiss_fft_cpx(), count: fftSize / 2 + 1)
    }

    deinit { free(UnsafeMutableRawPointer(plan)) }

    /// Frames whose centres lie inside a signal of `length` samples.
    func frameCount(forLength length: Int) -> Int {
        length == 0 ? 0 : 1 + (length - 1) / hopSize
    }

    func magnitudes(of signal: UnsafeBufferPointer<Float>, frame: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let start = frame * hopSize - fftSize / 2
        let bins = binCount
        time.withUnsafeMutableBufferPointer { time in
            window.withUnsafeBufferPointer { window in
                for i in 0..<fftSize {
                    let index = start + i
                    time[i] = index >= 0 && index < signal.count ? signal[index] * window[i] : 0
                }
            }
            spectrum.withUnsafeMutableBufferPointer { spectrum in
                kiss_fftr(plan, time.baseAddress, spectrum.baseAddress)
                for bin in 0..<bins {
                    let value = spectrum[bin]
                    output[bin] = (value.r * value.r + value.i * value.i).squareRoot()
                }
            }
        }
    }
}
