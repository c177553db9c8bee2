import Foundation

/// A bank of triangular filters over STFT bins: `apply` turns a
/// frames × bins magnitude (or power) spectrogram into frames × bands.
public struct FilterBank: Sendable {
    /// bands × bins weights.
    public let weights: Matrix
    /// Centre frequency of each band in Hz.
    public let centers: [Double]

    public func apply(_ spectrogram: Matrix) -> Matrix {
        precondition(spectrogram.columns == weights.columns, "filter bank made for \(weights.columns) bins")
        var out = Matrix(rows: spectrogram.rows, columns: weights.rows)
        // Each band touches few bins: remember their ranges.
        let spans: [Range<Int>] = (0..<weights.rows).map { band in
            let row = weights.row(band)
            let first = row.firstIndex { $0 != 0 } ?? row.startIndex
            let last = row.lastIndex { $0 != 0 } ?? (row.startIndex - 1)
            return (first - row.startIndex)..<(last - row.startIndex + 1)
        }
        for frame in 0..<spectrogram.rows {
            let base = frame * spectrogram.columns
            for band in 0..<weights.rows {
                var sum: Float = 0
                let weightBase = band * weights.columns
                for bin in spans[band] { sum += weights.values[weightBase + bin] * spectrogram.values[base + bin] }
                out.values[frame * out.columns + band] = sum
            }
        }
        return out
    }

    static func binFrequencies(sampleRate: Int, fftSize: Int) -> [Double] {
        (0...(fftSize / 2)).map { Double($0) * Double(sampleRate) / Double(fftSize) }
    }

    /// Triangles through consecutive `edges` (Hz): band k rises from edges[k]
    /// to edges[k+1] and falls to edges[k+2].
    static func triangles(edges: [Double], binFrequencies: [Double], normalizeArea: Bool) -> Matrix {
        let bands = edges.count - 2
        var weights = Matrix(rows: bands, columns: binFrequencies.count)
        for band in 0..<bands {
            let (low, center, high) = (edges[band], edges[band + 1], edges[band + 2])
            let scale = normalizeArea ? 2 / (high - low) : 1
            for (bin, frequency) in binFrequencies.enumerated() where frequency > low && frequency < high {
                let value = frequency <= center ? (frequency - low) / (center - low) : (high - frequency) / (high - center)
                weights[band, bin] = Float(value * scale)
            }
        }
        return weights
    }

    /// Mel filters on the Slaney mel scale (linear below 1 kHz, logarithmic
    /// above) with unit-area triangles, as librosa's default.
    public static func mel(sampleRate: Int, fftSize: Int, bands: Int, minHz: Double = 0, maxHz: Double? = nil) -> FilterBank {
        let top = maxHz ?? Double(sampleRate) / 2
        let (low, high) = (hzToMel(minHz), hzToMel(top))
        let edges = (0..<(bands + 2)).map { melToHz(low + (high - low) * Double($0) / Double(bands + 1)) }
        let weights = triangles(edges: edges, binFrequencies: binFrequencies(sampleRate: sampleRate, fftSize: fftSize), normalizeArea: true)
        return FilterBank(weights: weights, centers: Array(edges[1...bands]))
    }

    /// Filters spaced `binsPerSemitone` per semitone from MIDI `minMidi` to
    /// `maxMidi` (A4 = `tuningHz`), each a triangle one step wide on either
    /// side; the basis of chroma and pitch salience. Bands narrower than the
    /// STFT's bin spacing get at least the nearest bin.
    public static func logFrequency(sampleRate: Int, fftSize: Int, minMidi: Double, maxMidi: Double,
                                    binsPerSemitone: Int = 1, tuningHz: Double = 440) -> FilterBank {
        let step = 1 / Double(binsPerSemitone)
        let count = Int(((maxMidi - minMidi) / step).rounded()) + 1
        let midis = (-1...count).map { minMidi + Double($0) * step }
        let edges = midis.map { tuningHz * pow(2, ($0 - 69) / 12) }
        let frequencies = binFrequencies(sampleRate: sampleRate, fftSize: fftSize)
        var weights = triangles(edges: edges, binFrequencies: frequencies, normalizeArea: false)
        let spacing = Double(sampleRate) / Double(fftSize)
        for band in 0..<weights.rows where weights.row(band).allSatisfy({ $0 == 0 }) {
            let nearest = Int((edges[band + 1] / spacing).rounded())
            if nearest < weights.columns { weights[band, nearest] = 1 }
        }
        return FilterBank(weights: weights, centers: Array(edges[1...count]))
    }

    public static func hzToMel(_ hz: Double) -> Double {
        let linearStep = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / linearStep, logStep = log(6.4) / 27
        return hz < breakHz ? hz / linearStep : breakMel + log(hz / breakHz) / logStep
    }

    public static func melToHz(_ mel: Double) -> Double {
        let linearStep = 200.0 / 3, breakHz = 1000.0, breakMel = breakHz / linearStep, logStep = log(6.4) / 27
        return mel < breakMel ? mel * linearStep : breakHz * exp(logStep * (mel - breakMel))
    }
}
