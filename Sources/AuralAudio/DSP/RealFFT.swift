import CKissFFT
import Foundation

/// One real-input FFT size through KissFFT, planned once and reused (for
/// analyses that need raw transforms rather than a whole STFT). Spectra are
/// `size / 2 + 1` complex values stored as interleaved (real, imaginary)
/// floats. An instance is not for concurrent use.
public final class RealFFT {
    public let size: Int
    private let forwardPlan: kiss_fftr_cfg
    private let inversePlan: kiss_fftr_cfg

    /// Floats in a spectrum buffer: `size / 2 + 1` interleaved complex values.
    public var spectrumLength: Int { size + 2 }

    public init(size: Int) throws(AudioError) {
        guard size >= 4, size % 2 == 0 else { throw .invalidArgument("FFT size must be even and at least 4") }
        guard let forward = kiss_fftr_alloc(Int32(size), 0, nil, nil),
              let inverse = kiss_fftr_alloc(Int32(size), 1, nil, nil)
        else { throw .invalidArgument("cannot plan an FFT of size \(size)") }
        self.size = size
        forwardPlan = forward
        inversePlan = inverse
    }

    deinit {
        free(UnsafeMutableRawPointer(forwardPlan))
        free(UnsafeMutableRawPointer(inversePlan))
    }

    /// `size` samples in, `spectrumLength` floats out.
    public func forward(_ signal: UnsafePointer<Float>, into spectrum: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(spectrum).withMemoryRebound(to: kiss_fft_cpx.self, capacity: size / 2 + 1) { bins in
            kiss_fftr(forwardPlan, signal, bins)
        }
    }

    /// The unnormalized inverse: the result is `size` times the signal.
    public func inverse(_ spectrum: UnsafePointer<Float>, into signal: UnsafeMutablePointer<Float>) {
        UnsafeRawPointer(spectrum).withMemoryRebound(to: kiss_fft_cpx.self, capacity: size / 2 + 1) { bins in
            kiss_fftri(inversePlan, bins, signal)
        }
    }

    /// The smallest even size ≥ `minimum` whose only prime factors are 2, 3
    /// and 5 — the sizes KissFFT transforms fastest — so padding stays small.
    public static func fastSize(atLeast minimum: Int) -> Int {
        var candidate = max(4, minimum + (minimum % 2))
        while true {
            var rest = candidate
            for factor in [2, 3, 5] { while rest % factor == 0 { rest /= factor } }
            if rest == 1 { return candidate }
            candidate += 2
        }
    }
}
