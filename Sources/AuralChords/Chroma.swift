import AuralAudio
import Foundation

/// Chroma of every analysis frame: `treble` (chord voicings and melody),
/// `bass` (the lowest octaves, which decide the root and sevenths), and
/// `wide` (all octaves unweighted, for the frame-wise reference recogniser).
public struct ChromaFeatures: Sendable {
    /// Seconds between frame centres; frame i is centred at `i * hopSeconds`.
    public let hopSeconds: Double
    public let treble: Matrix
    public let bass: Matrix
    public let wide: Matrix
    /// Summed peak amplitude of each frame (0 in silence).
    public let energy: [Float]
    /// Estimated deviation of the piece's tuning from A4 = 440 Hz, in semitones (±0.5).
    public let tuningSemitones: Double

    public var frameCount: Int { treble.rows }
}

/// Chroma from spectral peaks. Each local maximum of a long-window spectrum
/// gets its frequency refined by parabolic interpolation of the log
/// magnitude, which resolves pitch far finer than the bin spacing (bass notes
/// at 65 Hz are 4 Hz apart; the bins 2.7 Hz); the tuning is the
/// amplitude-weighted circular mean of every peak's distance from the
/// equal-tempered grid; then each peak's amplitude goes to its semitone,
/// weighted by a bass and a treble register profile, and is folded to 12
/// pitch classes. Peaks rather than a filter bank over bins because a
/// filter bank smears a low note over two semitones at this resolution.
public struct ChromaExtractor: Sendable {
    public var fftSize = 4096
    public var hopSize = 512
    /// Peaks this far below the loudest peak of their frame are ignored (dB).
    public var peakRangeDB: Float = 50
    public var minimumHz: Double = 50
    public var maximumHz: Double = 2_500
    /// Register profiles (MIDI note → weight): raised-cosine ramps at the edges.
    public var bassRegister = Register(low: 26, fullFrom: 33, fullTo: 48, high: 58)
    public var trebleRegister = Register(low: 45, fullFrom: 52, fullTo: 72, high: 88)
    /// Amplitude ratio of successive partials assumed by the harmonic sieve; 0 turns it off.
    public var harmonicDecay: Float = 0.6

    public struct Register: Sendable {
        public var low: Double, fullFrom: Double, fullTo: Double, high: Double

        public init(low: Double, fullFrom: Double, fullTo: Double, high: Double) {
            (self.low, self.fullFrom, self.fullTo, self.high) = (low, fullFrom, fullTo, high)
        }

        func weight(_ midi: Int) -> Float {
            let m = Double(midi)
            if m <= low || m >= high { return 0 }
            if m < fullFrom { return Float(0.5 - 0.5 * cos(Double.pi * (m - low) / (fullFrom - low))) }
            if m > fullTo { return Float(0.5 + 0.5 * cos(Double.pi * (m - fullTo) / (high - fullTo))) }
            return 1
        }
    }

    public init() {}

    public func extract(_ signal: AnalysisSignal) -> ChromaFeatures {
        let peaks = spectralPeaks(signal)
        let tuning = Self.tuning(of: peaks)
        let frames = peaks.frameStarts.count - 1
        var treble = Matrix(rows: frames, columns: 12)
        var bass = Matrix(rows: frames, columns: 12)
        var wide = Matrix(rows: frames, columns: 12)
        var energy = [Float](repeating: 0, count: frames)
        let midiRange = 0..<128
        let bassWeights = midiRange.map { bassRegister.weight($0) }
        let trebleWeights = midiRange.map { trebleRegister.weight($0) }
        let notes = harmonicDecay > 0 ? sieve(peaks) : peaks.amplitude
        for frame in 0..<frames {
            for index in peaks.frameStarts[frame]..<peaks.frameStarts[frame + 1] {
                let midi = Int((peaks.pitch[index] - Float(tuning)).rounded())
                guard midiRange.contains(midi) else { continue }
                let amplitude = peaks.amplitude[index], note = notes[index]
                let cell = frame * 12 + midi % 12
                treble.values[cell] += note * trebleWeights[midi]
                bass.values[cell] += note * bassWeights[midi]
                wide.values[cell] += amplitude
                energy[frame] += amplitude
            }
        }
        return ChromaFeatures(hopSeconds: Double(hopSize) / Double(signal.sampleRate), treble: treble, bass: bass,
                              wide: wide, energy: energy, tuningSemitones: tuning)
    }

    /// A cheap approximate transcription before folding: going up through a
    /// frame's peaks, whatever part of a peak the overtones of lower peaks do
    /// not explain is taken as a note, whose overtones (partials 2…6, falling
    /// by `harmonicDecay` each) then explain part of the peaks above. Without
    /// it the third partial of a bass note adds a fifth above the bass to the
    /// treble chroma (B over a C/E), and a root-position reading wins.
    func sieve(_ peaks: Peaks) -> [Float] {
        let overtones: [Float] = (2...6).map { 12 * log2(Float($0)) }
        var notes = peaks.amplitude
        var explained = [Float](repeating: 0, count: peaks.amplitude.count)
        for frame in 0..<(peaks.frameStarts.count - 1) {
            let end = peaks.frameStarts[frame + 1]
            for index in peaks.frameStarts[frame]..<end {
                let residual = peaks.amplitude[index] - explained[index]
                notes[index] = max(0, residual)
                guard residual > 0 else { continue }
                var partial = residual, other = index + 1
                for overtone in overtones {
                    partial *= harmonicDecay
                    let target = peaks.pitch[index] + overtone
                    while other < end && peaks.pitch[other] < target - 0.35 { other += 1 }
                    if other < end && peaks.pitch[other] <= target + 0.35 { explained[other] += partial }
                }
            }
        }
        return notes
    }

    /// Peaks of every frame in flat arrays: frame f owns indices
    /// `frameStarts[f]..<frameStarts[f + 1]`; pitch as fractional MIDI at A4 = 440 Hz.
    struct Peaks {
        var pitch: [Float] = []
        var amplitude: [Float] = []
        var frameStarts: [Int] = [0]
    }

    func spectralPeaks(_ signal: AnalysisSignal) -> Peaks {
        let spectra = MagnitudeFrames(fftSize: fftSize, hopSize: hopSize)
        let frames = spectra.frameCount(forLength: signal.samples.count)
        let binHz = Double(signal.sampleRate) / Double(fftSize)
        let firstBin = max(2, Int(minimumHz / binHz))
        let lastBin = min(spectra.binCount - 3, Int(maximumHz / binHz))
        let relativeFloor = Float(pow(10, -Double(peakRangeDB) / 20))
        // An amplitude of 1e-5 (-100 dBFS) is silence whatever the frame's range.
        let absoluteFloor = spectra.windowSum / 2 * 1e-5
        let toAmplitude = 2 / spectra.windowSum
        var peaks = Peaks()
        peaks.frameStarts.reserveCapacity(frames + 1)
        var magnitude = [Float](repeating: 0, count: spectra.binCount)
        signal.samples.withUnsafeBufferPointer { samples in
            magnitude.withUnsafeMutableBufferPointer { magnitude in
                for frame in 0..<frames {
                    spectra.magnitudes(of: samples, frame: frame, into: magnitude)
                    var loudest: Float = 0
                    for bin in firstBin...lastBin { loudest = max(loudest, magnitude[bin]) }
                    let floor = max(loudest * relativeFloor, absoluteFloor)
                    if loudest > absoluteFloor {
                        for bin in firstBin...lastBin {
                            let centre = magnitude[bin]
                            guard centre > floor, centre > magnitude[bin - 1], centre >= magnitude[bin + 1] else { continue }
                            // Parabola through the log magnitudes of the peak bin and its neighbours.
                            let left = log(magnitude[bin - 1] + 1e-12), middle = log(centre), right = log(magnitude[bin + 1] + 1e-12)
                            let curvature = left - 2 * middle + right
                            let offset = curvature < 0 ? 0.5 * (left - right) / curvature : 0
                            let height = exp(middle - 0.25 * (left - right) * offset)
                            let hz = (Double(bin) + Double(offset)) * binHz
                            peaks.pitch.append(Float(69 + 12 * log2(hz / 440)))
                            peaks.amplitude.append(height * toAmplitude)
                        }
                    }
                    peaks.frameStarts.append(peaks.pitch.count)
                }
            }
        }
        return peaks
    }

    /// Amplitude-weighted circular mean of the peaks' offsets from the
    /// semitone grid, in semitones within ±0.5.
    static func tuning(of peaks: Peaks) -> Double {
        var sine = 0.0, cosine = 0.0
        for (pitch, amplitude) in zip(peaks.pitch, peaks.amplitude) {
            let angle = 2 * Double.pi * Double(pitch - pitch.rounded())
            sine += Double(amplitude) * sin(angle)
            cosine += Double(amplitude) * cos(angle)
        }
        guard sine != 0 || cosine != 0 else { return 0 }
        return atan2(sine, cosine) / (2 * Double.pi)
    }
}
