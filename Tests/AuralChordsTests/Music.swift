import AuralAudio
import AuralChords
import Foundation

/// Synthetic music for the chord tests: harmonic tones (six partials
/// falling 5 dB each, like a soft keyboard), chords with a bass note, and
/// click tracks. Everything is deterministic.
enum Music {
    static let sampleRate = 22_050

    static func hz(_ midi: Double, cents: Double = 0) -> Double {
        440 * pow(2, (midi - 69 + cents / 100) / 12)
    }

    /// Adds a note of `seconds` at `start` (10 ms attack, gentle decay, 20 ms release).
    static func addNote(_ midi: Int, into samples: inout [Float], start: Double, seconds: Double,
                        amplitude: Float = 0.08, cents: Double = 0) {
        let f0 = hz(Double(midi), cents: cents)
        let first = Int(start * Double(sampleRate)), length = Int(seconds * Double(sampleRate))
        for i in 0..<length where first + i < samples.count {
            let t = Double(i) / Double(sampleRate)
            let envelope = min(1, t / 0.01) * exp(-0.3 * t) * min(1, (seconds - t) / 0.02)
            var value = 0.0
            for partial in 1...6 where f0 * Double(partial) < Double(sampleRate) / 2 {
                value += pow(0.56, Double(partial - 1)) * sin(2 * Double.pi * f0 * Double(partial) * t)
            }
            samples[first + i] += amplitude * Float(envelope * value)
        }
    }

    /// A chord voiced from `lowestTreble` upwards plus its bass note (the
    /// root, or `bass` for an inversion) two octaves below.
    static func addChord(_ label: ChordLabel, into samples: inout [Float], start: Double, seconds: Double,
                         bass: Int? = nil, lowestTreble: Int = 55, cents: Double = 0) {
        var previous = lowestTreble - 1
        for pc in label.pitchClasses {
            let note = previous + 1 + ((pc - (previous + 1)) % 12 + 12) % 12
            addNote(note, into: &samples, start: start, seconds: seconds, cents: cents)
            previous = note
        }
        let bassPC = bass ?? label.root!
        addNote(36 + bassPC, into: &samples, start: start, seconds: seconds, amplitude: 0.12, cents: cents)
    }

    /// Short noise bursts (5 ms, decaying) at `times`, like a rim click.
    static func addClicks(at times: [Double], into samples: inout [Float], amplitude: Float = 0.4) {
        var state: UInt64 = 7
        for time in times {
            let first = Int(time * Double(sampleRate))
            for i in 0..<Int(0.03 * Double(sampleRate)) where first + i < samples.count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Float(state >> 40) / Float(1 << 24) * 2 - 1
                samples[first + i] += amplitude * noise * Float(exp(-Double(i) / (0.005 * Double(sampleRate))))
            }
        }
    }

    /// A kick (a falling 60 Hz sine) or a snare (a 190 Hz tone under noise), 0.15 s.
    static func addDrum(kick: Bool, at time: Double, into samples: inout [Float], seed: inout UInt64) {
        let first = Int(time * Double(sampleRate))
        for i in 0..<Int(0.15 * Double(sampleRate)) where first + i < samples.count {
            let t = Double(i) / Double(sampleRate)
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(seed >> 40) / Double(1 << 24) * 2 - 1
            let value = kick
                ? 0.5 * sin(2 * Double.pi * (60 - 40 * t) * t) * exp(-t / 0.05)
                : (0.15 * sin(2 * Double.pi * 190 * t) + 0.25 * noise) * exp(-t / 0.04)
            samples[first + i] += Float(value)
        }
    }

    static func silence(seconds: Double) -> [Float] {
        [Float](repeating: 0, count: Int(seconds * Double(sampleRate)))
    }

    static func signal(_ samples: [Float]) throws -> AnalysisSignal {
        try AnalysisSignal(AudioBuffer(sampleRate: sampleRate, channels: [samples]))
    }

    /// The label covering most of `start..<end` in `chords`.
    static func dominantLabel(_ chords: [ChordSegment], from start: Double, to end: Double) -> ChordLabel? {
        var time: [ChordLabel: Double] = [:]
        for chord in chords {
            let overlap = min(end, chord.end) - max(start, chord.start)
            if overlap > 0 { time[chord.label, default: 0] += overlap }
        }
        return time.max { $0.value < $1.value }?.key
    }
}
