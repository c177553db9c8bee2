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
/// 3. Bass: the remaining harmonic part at the harmonics of the bass line
///    (a harmonic-sum pitch track in the bass range) and below it.
/// 4. Drums: the percussive part.
/// 5. Other: the residual in the time domain, so the four stems add up to the
///    mix exactly (up to float rounding).
public struct Separator: Sendable {
    public struct Configuration: Sendable {
        public var fftSize = 4096
        public var hopSize = 1024
        /// Median lengths: in time for the harmonic filter (shorter than a
        /// sung note), in frequency for the percussive one.
        public var harmonicSeconds = 0.3
        public var percussiveHz = 150.0
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
        /// Bass: pitch range searched, harmonics combed, and the low-pass
        /// (in multiples of the bass pitch) kept whole below the comb.
        public var bassMinHz = 35.0
        public var bassMaxHz = 160.0
        public var bassHarmonics = 8
        public var bassCombMaxHz = 1500.0
        public var bassVoicingThreshold: Float = 0.3
        /// Cut-off where no bass pitch is found.
        public var bassCutoffHz = 100.0
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
        let analysis = try analyse(mix)
        let (stft, spectra, magnitude, harmonic, percussive, centre) =
            (analysis.stft, analysis.spectra, analysis.magnitude, analysis.harmonic, analysis.percussive, analysis.centre)
        let frames = magnitude.rows, bins = magnitude.columns
        let binHz = analysis.binHz

        // Melody: salience over the centred harmonic spectrum.
        let f0 = melody.map { pitch in
            (0..<frames).map { pitch(Double($0 * c.hopSize) / Double(mix.sampleRate)) }
        } ?? melodyTrack(melodySpectrum(analysis), binHz: binHz)

        var vocalMask = Matrix(rows: frames, columns: bins)
        var bassComb = Matrix(rows: frames, columns: bins)
        var bassSpectrum = magnitude
        for i in bassSpectrum.values.indices { bassSpectrum.values[i] *= harmonic.values[i] }
        let bassF0 = bassTrack(bassSpectrum, binHz: binHz)
        for frame in 0..<frames {
            if let pitch = f0[frame] {
                addComb(pitch: pitch, binHz: binHz, maxHz: c.combMaxHz, into: &vocalMask, frame: frame)
            }
            if let pitch = bassF0[frame] {
                addComb(pitch: pitch, binHz: binHz, maxHz: c.bassCombMaxHz, into: &bassComb, frame: frame)
            }
        }
        var bassMask = Matrix(rows: frames, columns: bins)
        let fallbackBin = c.bassCutoffHz / binHz
        for frame in 0..<frames {
            let base = frame * bins
            // Everything below the bass's own fundamental band is bass.
            let fullBelow = bassF0[frame].map { 1.5 * $0 / binHz } ?? fallbackBin
            for bin in 0..<bins {
                let i = base + bin
                let vocal = vocalMask.values[i] * pow(harmonic.values[i], c.vocalHarmonicExponent) * pow(centre.values[i], c.centreExponent)
                vocalMask.values[i] = vocal
                let bassShare = Double(bin) <= fullBelow ? 1 : bassComb.values[i]
                bassMask.values[i] = max(0, harmonic.values[i] - vocal) * bassShare
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
        let analysis = try analyse(mix)
        return (Double(configuration.hopSize) / Double(mix.sampleRate), melodyTrack(melodySpectrum(analysis), binHz: analysis.binHz))
    }

    /// What every step starts from: the STFT of each channel, the
    /// channel-averaged magnitude, its harmonic/percussive masks and the centre cue.
    struct Analysis {
        let stft: STFT
        let spectra: [Spectrogram]
        let magnitude: Matrix
        let harmonic: Matrix
        let percussive: Matrix
        let centre: Matrix
        let binHz: Double
    }

    func analyse(_ mix: AudioBuffer) throws -> Analysis {
        let c = configuration
        let stft = try STFT(fftSize: c.fftSize, hopSize: c.hopSize)
        let spectra = mix.channels.map { stft.forward($0) }
        let magnitudes = spectra.map { $0.magnitude() }
        let magnitude = Self.average(magnitudes)
        let (harmonic, percussive) = hpssMasks(magnitude, sampleRate: mix.sampleRate)
        let centre = magnitudes.count == 2
            ? Self.centreCue(magnitudes[0], magnitudes[1])
            : Matrix(rows: magnitude.rows, columns: magnitude.columns, repeating: 1)
        return Analysis(stft: stft, spectra: spectra, magnitude: magnitude, harmonic: harmonic, percussive: percussive,
                        centre: centre, binHz: Double(mix.sampleRate) / Double(c.fftSize))
    }

    /// The reference the benchmark measures against: plain two-mask HPSS
    /// with common textbook settings (2048-point STFT, hop 512, 31-frame and
    /// 31-bin medians, squared soft masks), drums = percussive and the
    /// harmonic part standing for every other stem.
    public static func referenceHPSS(_ mix: AudioBuffer) throws -> (harmonic: AudioBuffer, percussive: AudioBuffer) {
        var plain = Configuration()
        plain.fftSize = 2048
        plain.hopSize = 512
        plain.harmonicSeconds = 31 * 512 / Double(mix.sampleRate)
        plain.percussiveHz = 31 * Double(mix.sampleRate) / 2048
        let separator = Separator(configuration: plain)
        let stft = try STFT(fftSize: plain.fftSize, hopSize: plain.hopSize)
        let spectra = mix.channels.map { stft.forward($0) }
        let (harmonic, percussive) = separator.hpssMasks(Self.average(spectra.map { $0.magnitude() }), sampleRate: mix.sampleRate)
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
    func melodySpectrum(_ analysis: Analysis) -> Matrix {
        var spectrum = analysis.magnitude
        for i in spectrum.values.indices {
            spectrum.values[i] *= analysis.harmonic.values[i] * pow(analysis.centre.values[i], configuration.melodyCentreExponent)
        }
        return spectrum
    }

    func melodyTrack(_ spectrum: Matrix, binHz: Double) -> [Double?] {
        let c = configuration
        return HarmonicPitchSearch(minHz: c.melodyMinHz, maxHz: c.melodyMaxHz, harmonics: c.melodyHarmonics,
                                   octaveRatio: c.octaveRatio, voicingThreshold: c.voicingThreshold)
            .track(spectrum, binHz: binHz)
    }

    func bassTrack(_ spectrum: Matrix, binHz: Double) -> [Double?] {
        let c = configuration
        return HarmonicPitchSearch(minHz: c.bassMinHz, maxHz: c.bassMaxHz, harmonics: c.bassHarmonics,
                                   octaveRatio: c.octaveRatio, voicingThreshold: c.bassVoicingThreshold)
            .track(spectrum, binHz: binHz)
    }

    /// Adds triangular teeth at the harmonics of `pitch` to `mask`'s frame.
    func addComb(pitch: Double, binHz: Double, maxHz: Double, into mask: inout Matrix, frame: Int) {
        let c = configuration
        var harmonic = 1.0
        while harmonic * pitch < min(maxHz, Double(mask.columns - 1) * binHz) {
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
