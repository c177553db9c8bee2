import AuralAudio

/// YIN's cumulative-mean-normalized difference function (de Cheveigné &
/// Kawahara 2002) for one analysis frame, with the autocorrelation term
/// computed by FFT: d(τ) = e(0) + e(τ) − 2·r(τ), where e(τ) is the energy of
/// the window shifted by τ and r the cross-correlation of the window with
/// the segment. Plans and scratch buffers are made once; one instance per
/// thread.
final class DifferenceFunction {
    let windowLength: Int
    let maximumLag: Int
    /// Samples one frame reads: the window plus the largest lag.
    var segmentLength: Int { windowLength + maximumLag }

    private let fft: RealFFT
    private var windowBuffer: [Float]
    private var segmentBuffer: [Float]
    private var windowSpectrum: [Float]
    private var segmentSpectrum: [Float]
    private var correlation: [Float]
    private var squaresPrefix: [Double]

    init(windowLength: Int, maximumLag: Int) throws(AudioError) {
        self.windowLength = windowLength
        self.maximumLag = maximumLag
        fft = try RealFFT(size: RealFFT.fastSize(atLeast: windowLength + maximumLag))
        windowBuffer = [Float](repeating: 0, count: fft.size)
        segmentBuffer = [Float](repeating: 0, count: fft.size)
        windowSpectrum = [Float](repeating: 0, count: fft.spectrumLength)
        segmentSpectrum = [Float](repeating: 0, count: fft.spectrumLength)
        correlation = [Float](repeating: 0, count: fft.size)
        squaresPrefix = [Double](repeating: 0, count: windowLength + maximumLag + 1)
    }

    /// Writes d'(τ) for τ in 0...maximumLag into `normalized` (d'(0) = 1)
    /// from `segment` (`segmentLength` samples) and returns the window's
    /// mean-square level.
    func normalizedDifference(_ segment: UnsafeBufferPointer<Float>, into normalized: UnsafeMutableBufferPointer<Float>) -> Float {
        let size = fft.size
        let count = segmentLength
        let fft = self.fft
        let meanSquare = windowBuffer.withUnsafeMutableBufferPointer { window in
            segmentBuffer.withUnsafeMutableBufferPointer { padded in
                squaresPrefix.withUnsafeMutableBufferPointer { prefix in
                    var running = 0.0
                    prefix[0] = 0
                    for i in 0..<count {
                        let x = segment[i]
                        padded[i] = x
                        running += Double(x * x)
                        prefix[i + 1] = running
                    }
                    for i in count..<size { padded[i] = 0 }
                    for i in 0..<windowLength { window[i] = segment[i] }
                    for i in windowLength..<size { window[i] = 0 }
                    return Float(prefix[windowLength] / Double(windowLength))
                }
            }
        }
        windowBuffer.withUnsafeBufferPointer { window in
            windowSpectrum.withUnsafeMutableBufferPointer { fft.forward(window.baseAddress!, into: $0.baseAddress!) }
        }
        segmentBuffer.withUnsafeBufferPointer { padded in
            segmentSpectrum.withUnsafeMutableBufferPointer { fft.forward(padded.baseAddress!, into: $0.baseAddress!) }
        }
        // conj(W)·S is the spectrum of r(τ) = Σ_j w_j s_{j+τ}; the segment is
        // short enough that the circular correlation never wraps for τ ≤ maximumLag.
        windowSpectrum.withUnsafeBufferPointer { w in
            segmentSpectrum.withUnsafeMutableBufferPointer { s in
                var k = 0
                while k < fft.spectrumLength {
                    let (wr, wi, sr, si) = (w[k], w[k + 1], s[k], s[k + 1])
                    s[k] = wr * sr + wi * si
                    s[k + 1] = wr * si - wi * sr
                    k += 2
                }
            }
        }
        segmentSpectrum.withUnsafeBufferPointer { s in
            correlation.withUnsafeMutableBufferPointer { fft.inverse(s.baseAddress!, into: $0.baseAddress!) }
        }
        let scale = 1 / Double(size)
        correlation.withUnsafeBufferPointer { r in
            squaresPrefix.withUnsafeBufferPointer { prefix in
                let windowEnergy = prefix[windowLength]
                normalized[0] = 1
                var cumulative = 0.0
                for lag in 1...maximumLag {
                    let shiftedEnergy = prefix[lag + windowLength] - prefix[lag]
                    let difference = max(0, windowEnergy + shiftedEnergy - 2 * Double(r[lag]) * scale)
                    cumulative += difference
                    normalized[lag] = cumulative > 0 ? Float(difference * Double(lag) / cumulative) : 1
                }
            }
        }
        return meanSquare
    }
}

/// The lag of a minimum refined by fitting a parabola through it and its
/// neighbours (YIN step 5).
@inline(__always)
func parabolicLag(_ values: UnsafeMutableBufferPointer<Float>, at lag: Int) -> Double {
    guard lag > 0, lag + 1 < values.count else { return Double(lag) }
    let (left, centre, right) = (Double(values[lag - 1]), Double(values[lag]), Double(values[lag + 1]))
    let curvature = left - 2 * centre + right
    guard curvature > 0 else { return Double(lag) }
    return Double(lag) + min(max((left - right) / (2 * curvature), -1), 1)
}
