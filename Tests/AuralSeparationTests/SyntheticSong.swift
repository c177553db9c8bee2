import AuralAudio
import Foundation

/// A few seconds of a synthetic song with known stems: a centred vibrato
/// "voice" melody, drums (decaying kick and noise hats), a harmonic bass
/// line, and a chord pad panned to the sides. Unit tests only; the benchmark
/// uses rendered General MIDI songs (scripts/gen-songs).
enum SyntheticSong {
    static let sampleRate = 22050

    static func make(seconds: Double = 4) -> (mix: AudioBuffer, stems: [String: AudioBuffer]) {
        let n = Int(seconds * Double(sampleRate))
        let beat = sampleRate / 2  // 120 BPM
        var noiseState: UInt64 = 42
        func noise() -> Float {
            noiseState = noiseState &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(noiseState >> 40) / Float(1 << 24) * 2 - 1
        }
        /// A harmonic tone at `phase` cycles of its fundamental.
        func tone(phase: Double, harmonics: Int, rolloff: Double) -> Float {
            var value = 0.0
            for h in 1...harmonics { value += pow(rolloff, Double(h - 1)) * sin(2 * Double.pi * phase * Double(h)) }
            return Float(value)
        }
        func tone(_ f0: Double, _ t: Double, harmonics: Int, rolloff: Double) -> Float {
            tone(phase: f0 * t, harmonics: harmonics, rolloff: rolloff)
        }
        var voicePhase = 0.0  // integrated, so the vibrato bends the pitch and nothing else
        let melody = [67, 69, 71, 72, 74, 72, 71, 69].map { 440 * pow(2, (Double($0) - 69) / 12) }
        let bassNotes = [43, 43, 48, 50].map { 440 * pow(2, (Double($0) - 69) / 12) }
        let chords = [[55, 59, 62], [60, 64, 67]].map { $0.map { 440 * pow(2, (Double($0) - 69) / 12) } }

        var vocal = [Float](repeating: 0, count: n), drums = [Float](repeating: 0, count: n)
        var bass = [Float](repeating: 0, count: n), padLeft = [Float](repeating: 0, count: n), padRight = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / Double(sampleRate)
            let beatIndex = i / beat, inBeat = i % beat
            // Voice: a note per beat with 5.5 Hz vibrato; silent every fourth beat.
            if beatIndex % 4 != 3 {
                let f0 = melody[beatIndex % melody.count] * pow(2, 0.3 / 12 * sin(2 * Double.pi * 5.5 * t))
                voicePhase += f0 / Double(sampleRate)
                let envelope = Float(min(1, Double(inBeat) / 400) * min(1, Double(beat - inBeat) / 400))
                vocal[i] = 0.25 * envelope * tone(phase: voicePhase, harmonics: 10, rolloff: 0.7)
            }
            // Drums: kick on every beat, hats on the off-beats.
            let kickEnvelope = Float(exp(-Double(inBeat) / 1500))
            drums[i] = 0.5 * kickEnvelope * Float(sin(2 * Double.pi * 60 * Double(inBeat) / Double(sampleRate)))
            let offBeat = (i + beat / 2) % beat
            drums[i] += 0.15 * Float(exp(-Double(offBeat) / 300)) * noise()
            // Bass: a root per two beats.
            bass[i] = 0.2 * tone(bassNotes[(beatIndex / 2) % bassNotes.count], t, harmonics: 6, rolloff: 0.5)
            // Pad: sustained chords, one per four beats, panned to the sides.
            var pad: Float = 0
            for f in chords[(beatIndex / 4) % chords.count] { pad += 0.05 * tone(f, t, harmonics: 4, rolloff: 0.6) }
            padLeft[i] = pad * 0.9
            padRight[i] = pad * 0.3
        }
        let stems = [
            "vocals": AudioBuffer(sampleRate: sampleRate, channels: [vocal, vocal]),
            "drums": AudioBuffer(sampleRate: sampleRate, channels: [drums, drums]),
            "bass": AudioBuffer(sampleRate: sampleRate, channels: [bass, bass]),
            "other": AudioBuffer(sampleRate: sampleRate, channels: [padLeft, padRight]),
        ]
        var mix = AudioBuffer(sampleRate: sampleRate, channelCount: 2, frames: n)
        for stem in stems.values {
            for c in 0..<2 { for i in 0..<n { mix.channels[c][i] += stem.channels[c][i] } }
        }
        return (mix, stems)
    }
}
