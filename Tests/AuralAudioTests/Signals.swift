import AuralAudio
import Foundation

enum Signals {
    static func sine(_ frequency: Double, sampleRate: Int, seconds: Double, amplitude: Float = 0.5) -> [Float] {
        (0..<Int(Double(sampleRate) * seconds)).map {
            amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate)))
        }
    }

    /// Deterministic noise (a linear congruential generator), so failures reproduce.
    static func noise(count: Int, seed: UInt64 = 1, amplitude: Float = 0.3) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    /// A two-channel test signal: different tones left and right.
    static func stereo(sampleRate: Int, seconds: Double) -> AudioBuffer {
        AudioBuffer(sampleRate: sampleRate, channels: [
            sine(440, sampleRate: sampleRate, seconds: seconds),
            sine(660, sampleRate: sampleRate, seconds: seconds, amplitude: 0.3),
        ])
    }

    static func rms(_ x: [Float]) -> Float {
        (x.reduce(0) { $0 + $1 * $1 } / Float(max(1, x.count))).squareRoot()
    }

    /// Signal-to-noise ratio of `estimate` against `reference`, in dB.
    static func snr(_ reference: [Float], _ estimate: [Float]) -> Double {
        let n = min(reference.count, estimate.count)
        var signal = 0.0, noise = 0.0
        for i in 0..<n {
            signal += Double(reference[i] * reference[i])
            let d = Double(reference[i] - estimate[i])
            noise += d * d
        }
        return 10 * log10(signal / max(noise, 1e-20))
    }

    /// Frequency of the strongest DFT bin between 20 Hz and Nyquist.
    static func dominantFrequency(_ x: [Float], sampleRate: Int) -> Double {
        let n = min(x.count, 8192)
        var best = (0.0, 0.0)
        var frequency = 20.0
        while frequency < Double(sampleRate) / 2 {
            var re = 0.0, im = 0.0
            for i in 0..<n {
                let phase = 2 * Double.pi * frequency * Double(i) / Double(sampleRate)
                re += Double(x[i]) * cos(phase)
                im -= Double(x[i]) * sin(phase)
            }
            let power = re * re + im * im
            if power > best.1 { best = (frequency, power) }
            frequency += 1
        }
        return best.0
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("aural-\(UUID().uuidString.prefix(8))-\(name)").path
    }
}
