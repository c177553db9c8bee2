import AuralAudio
import Foundation

/// Four-stem separation by classical, explainable masks on one STFT
/// (see docs/SEPARATION.md for what each step buys, measured):
///
/// 1. Harmonic/percussive split by median filtering the magnitude along
///    time and along frequency, with soft Wiener-style masks.
/// 2. Vocals: the harmonic part at the harmonics of the predominant melody
///    (a harmonic-sum pitch track over the centre-weighted spectrum), weighted
///    by how centred each bin is between the channels.
/// 3. Bass: the remaining harmonic part below a soft low-pass.
/// 4. Drums: the percussive part.
/// 5. Other: the residual in the time domain, so the four stems add up to the
///    mix exactly (up to float rounding).
public struct Separator: Sendable {
    public struct Configuration: Sendable {
        public var fftSize = 4096
        public var hopSize = 1024
        /// Median lengths: in time for the harmonic filter (shorter than a
        /// sung note), in frequency for the percussive one.
        public var harmonicSeconds = 0.2
        public var percussiveHz = 200.0
        public var maskPower: Float = 2
        /// Melody search range (Hz) and harmonics used for it and the comb.
        public var melodyMinHz = 150.0
        public var melodyMaxHz = 1100.0
        public var melodyHarmonics = 8
        public var combMaxHz = 8000.0
        /// Relative comb tooth half-width (fraction of the harmonic's frequency).
        public var combWidth = 0.08
        /// A frame is voiced when its melody salience exceeds this fraction of
        /// the block's 95th-percentile salience.
        public var voicingThreshold: Float = 0.6
        /// A candidate yields to its octave above when that reaches this
        /// fraction of its salience.
        public var octaveRatio: Float = 0.8
        /// Exponent on the stereo centre cue in the vocal mask (0 ignores it).
        public var centreExponent: Float = 1
        /// Exponent on the centre cue when looking for the melody: sharper,
        /// because only the pitch is wanted there, not the energy.
        public var melodyCentreExponent: Float = 16
        public var bassCutoffHz = 250.0
        /// Exponent on the harmonic mask inside the vocal comb (0: the comb
        /// takes percussive energy at the voice's harmonics too).
        public var vocalHarmonicExponent: Float = 1

        public init() {}
    }

    public var configuration: Configuration

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// - Parameter melody: the lead's pitch (Hz, nil when silent) at a time in
    ///   seconds, when known (e.g. from a better pitch tracker); otherwise
    ///   the built-in harmonic-sum tracker estimates it.
    public func separate(_ mix: AudioBuffer, melody: ((Double) -> Double?)? = nil) throws -> Stems {
        let c = configuration
        let stft = try STFT(fftSize: c.fftSize, hopSize: c.hopSize)
        let spectra = mix.channels.map { stft.forward($0) }
        let magnitudes = spectra.map { $0.magnitude() }
        let frames = spectra[0].frameCount, bins = spectra[0].binCount
        let binHz = Double(mix.sampleRate) / Double(c.fftSize)

        let magnitude = Self.average(magnitudes)
        let (harmonic, percussive) = hpssMasks(magnitude, sampleRate: mix.sampleRate)
        let centre = magnitudes.count == 2 ? Self.centreCue(magnitudes[0], magnitudes[1]) : Matrix(rows: frames, columns: bins, repeating: 1)

        // Melody: salience over the centred harmonic spectrum.
        let f0 = melody.map { pitch in
            (0..<frames).map { pitch(Double($0 * c.hopSize) / Double(mix.sampleRate)) }
        } ?? melodyTrack(melodySpectrum(magnitude, harmonic: harmonic, centre: centre), binHz: binHz)

        var vocalMask = Matrix(rows: frames, columns: bins)
        var bassMask = Matrix(rows: frames, columns: bins)
        let cutoffBin = c.bassCutoffHz / binHz
        for frame in 0..<frames {
            let base = frame * bins
            if let pitch = f0[frame] {
                addComb(pitch: pitch, binHz: binHz, into: &vocalMask, frame: frame)
            }
            for bin in 0..<bins {
                let i = base + bin
                let vocal = vocalMask.values[i] * pow(harmonic.values[i], c.vocalHarmonicExponent) * pow(centre.values[i], c.centreExponent)
                vocalMask.values[i] = vocal
                // Soft low-pass: full below the cut-off, falling over an octave.
                let ratio = Double(bin) / cutoffBin
                let lowPass = Float(ratio <= 1 ? 1 : max(0, 2 - ratio))
                bassMask.values[i] = max(0, harmonic.values[i] - vocal) * lowPass
            }
        }

        let vocals = Self.render(spectra, mask: vocalMask, stft: stft, length: mix.frameCount, sampleRate: mix.sampleRate)
        let drums = Self.render(spectra, mask: percussive, stft: stft, length: mix.frameCount, sampleRate: mix.sampleRate)
        let bass = Self.render(spectra, mask: bassMask, stft: stft, length: mix.frameCount, sampleRate: mix.sampleRate)
        let other = Stems.residual(of: mix, minus: [vocals, drums, bass])
        return Stems(vocals: vocals, drums: drums, bass: bass, other: other)
    }

    /// The melody the vocal mask follows, one value per STFT frame (for
    /// diagnostics: the benchmark scores it against the true melody).
    public func estimateMelody(_ mix: AudioBuffer) throws -> (hopSeconds: Double, f0: [Double?]) {
        let c = configuration
        let stft = try STFT(fftSize: c.fftSize, hopSize: c.hopSize)
        let magnitudes = mix.channels.map { stft.forward($0).magnitude() }
        let magnitude = Self.average(magnitudes)
        let (harmonic, _) = hpssMasks(magnitude, sampleRate: mix.sampleRate)
        let centre = magnitudes.count == 2 ? Self.centreCue(magnitudes[0], magnitudes[1]) : Matrix(rows: magnitude.rows, columns: magnitude.columns, repeating: 1)
        let spectrum = melodySpectrum(magnitude, harmonic: harmonic, centre: centre)
        return (Double(c.hopSize) / Double(mix.sampleRate), melodyTrack(spectrum, binHz: Double(mix.sampleRate) / Double(c.fftSize)))
    }

    /// The reference the benchmark measures against: plain two-mask HPSS,
    /// drums = percussive, and the harmonic part standing for every other stem.
    public func referenceHPSS(_ mix: AudioBuffer) throws -> (harmonic: AudioBuffer, percussive: AudioBuffer) {
        let stft = try STFT(fftSize: configuration.fftSize, hopSize: configuration.hopSize)
        let spectra = mix.channels.map { stft.forward($0) }
        let (harmonic, percussive) = hpssMasks(Self.average(spectra.map { $0.magnitude() }), sampleRate: mix.sampleRate)
        return (Self.render(spectra, mask: harmonic, stft: stft, length: mix.frameCount, sampleRate: mix.sampleRate),
                Self.render(spectra, mask: percussive, stft: stft, length: mix.frameCount, sampleRate: mix.sampleRate))
    }

    // MARK: - Steps

    /// Soft masks from median-filtered magnitudes: H^p / (H^p + P^p).
    func hpssMasks(_ magnitude: Matrix, sampleRate: Int) -> (harmonic: Matrix, percussive: Matrix) {
        let c = configuration
        let frames = Int((c.harmonicSeconds * Double(sampleRate) / Double(c.hopSize)).rounded())
        let bins = Int((c.percussiveHz * Double(c.fftSize) / Double(sampleRate)).rounded())
        var harmonic = MedianFilter.alongTime(magnitude, width: max(3, frames | 1))
        var percussive = MedianFilter.alongFrequency(magnitude, width: max(3, bins | 1))
        let p = configuration.maskPower
        for i in harmonic.values.indices {
            let h = pow(harmonic.values[i], p), q = pow(percussive.values[i], p)
            let total = h + q
            let share: Float = total > 1e-12 ? h / total : 0.5
            harmonic.values[i] = share
            percussive.values[i] = 1 - share
        }
        return (harmonic, percussive)
    }

    /// 1 where left and right agree (a centre-panned source), falling towards
    /// 0 as one side dominates.
    static func centreCue(_ left: Matrix, _ right: Matrix) -> Matrix {
        var cue = Matrix(rows: left.rows, columns: left.columns)
        for i in cue.values.indices {
            let l = left.values[i], r = right.values[i]
            let total = l + r
            cue.values[i] = total > 1e-9 ? 1 - abs(l - r) / total : 0
        }
        return cue
    }

    /// The centred harmonic part of the magnitude, where the melody is sought.
    func melodySpectrum(_ magnitude: Matrix, harmonic: Matrix, centre: Matrix) -> Matrix {
        var spectrum = magnitude
        for i in spectrum.values.indices {
            spectrum.values[i] *= harmonic.values[i] * pow(centre.values[i], configuration.melodyCentreExponent)
        }
        return spectrum
    }

    /// The predominant pitch per frame by harmonic summation over the
    /// square-root-compressed spectrum (so one loud low partial does not
    /// outweigh a full harmonic series), nil when the frame's best salience is
    /// too weak to be a melody note. A candidate whose octave above is nearly
    /// as salient is taken to be that octave: summation favours sub-octaves,
    /// which collect every harmonic of the true pitch at their even positions.
    func melodyTrack(_ spectrum: Matrix, binHz: Double) -> [Double?] {
        let c = configuration
        let stepsPerSemitone = 5
        let minMidi = 69 + 12 * log2(c.melodyMinHz / 440), maxMidi = 69 + 12 * log2(c.melodyMaxHz / 440)
        let count = Int((maxMidi - minMidi) * Double(stepsPerSemitone)) + 1
        let candidates = (0..<count).map { 440 * pow(2, (minMidi + Double($0) / Double(stepsPerSemitone) - 69) / 12) }
        let octaveStep = 12 * stepsPerSemitone
        let weights = (0..<c.melodyHarmonics).map { Float(pow(0.84, Double($0))) }
        var best = [Float](repeating: 0, count: spectrum.rows)
        var pitch = [Double](repeating: 0, count: spectrum.rows)
        var salience = [Float](repeating: 0, count: count)
        let compressed = spectrum.values.map { $0.squareRoot() }
        compressed.withUnsafeBufferPointer { values in
            for frame in 0..<spectrum.rows {
                let base = frame * spectrum.columns
                for (index, f0) in candidates.enumerated() {
                    var sum: Float = 0
                    for h in 0..<c.melodyHarmonics {
                        let position = Double(h + 1) * f0 / binHz
                        let lower = Int(position)
                        guard lower + 1 < spectrum.columns else { break }
                        let fraction = Float(position - Double(lower))
                        sum += weights[h] * (values[base + lower] * (1 - fraction) + values[base + lower + 1] * fraction)
                    }
                    salience[index] = sum
                }
                var top = salience.indices.max { salience[$0] < salience[$1] }!
                while top + octaveStep < count, salience[top + octaveStep] > c.octaveRatio * salience[top] {
                    let above = top + octaveStep
                    let window = max(0, above - 2)...min(count - 1, above + 2)
                    top = window.max { salience[$0] < salience[$1] }!
                }
                best[frame] = salience[top]
                pitch[frame] = candidates[top]
            }
        }
        let reference = Self.percentile(best, 0.95)
        let threshold = reference * c.voicingThreshold
        // Smooth the track in cents over 5 frames to remove one-frame slips.
        let cents = pitch.map { $0 > 0 ? Float(1200 * log2($0 / 440)) : 0 }
        var smoothed = cents
        MedianFilter.running(cents, width: 5, into: &smoothed)
        return (0..<spectrum.rows).map { frame in
            best[frame] > threshold && reference > 0 ? 440 * pow(2, Double(smoothed[frame]) / 1200) : nil
        }
    }

    /// Adds triangular teeth at the harmonics of `pitch` to `mask`'s frame.
    func addComb(pitch: Double, binHz: Double, into mask: inout Matrix, frame: Int) {
        let c = configuration
        var harmonic = 1.0
        while harmonic * pitch < min(c.combMaxHz, Double(mask.columns - 1) * binHz) {
            let center = harmonic * pitch / binHz
            let halfWidth = max(1.5, harmonic * pitch * c.combWidth / binHz)
            let low = max(0, Int((center - halfWidth).rounded(.up))), high = min(mask.columns - 1, Int(center + halfWidth))
            if low <= high {
                for bin in low...high {
                    let value = Float(1 - abs(Double(bin) - center) / halfWidth)
                    let i = frame * mask.columns + bin
                    mask.values[i] = max(mask.values[i], value)
                }
            }
            harmonic += 1
        }
    }

    // MARK: - Helpers

    static func average(_ matrices: [Matrix]) -> Matrix {
        guard matrices.count > 1 else { return matrices[0] }
        var sum = matrices[0]
        for matrix in matrices.dropFirst() {
            for i in sum.values.indices { sum.values[i] += matrix.values[i] }
        }
        let scale = 1 / Float(matrices.count)
        for i in sum.values.indices { sum.values[i] *= scale }
        return sum
    }

    static func render(_ spectra: [Spectrogram], mask: Matrix, stft: STFT, length: Int, sampleRate: Int) -> AudioBuffer {
        AudioBuffer(sampleRate: sampleRate, channels: spectra.map { stft.inverse($0.masked(by: mask), length: length) })
    }

    static func percentile(_ values: [Float], _ p: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }
}
