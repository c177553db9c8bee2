import AuralPitch
import Foundation

/// Generated test signals with an exactly known f0 at every sample.
enum Signals {
    /// A harmonic tone whose f0 follows `f0(t)` (phase integrated sample by
    /// sample, so vibrato and glides are exact); `harmonics[k]` is the
    /// amplitude of harmonic k+1, `gain(t)` an envelope. f0 ≤ 0 means
    /// silence at that instant.
    static func tone(seconds: Double, sampleRate: Int, harmonics: [Double] = [1, 0.5, 0.3, 0.2],
                     gain: (Double) -> Double = { _ in 1 }, f0: (Double) -> Double) -> [Float] {
        let count = Int(seconds * Double(sampleRate))
        var phase = 0.0
        var samples = [Float](repeating: 0, count: count)
        let peak = harmonics.reduce(0, +)
        for i in 0..<count {
            let frequency = f0(Double(i) / Double(sampleRate))
            guard frequency > 0 else {
                phase = 0
                continue
            }
            phase += frequency / Double(sampleRate)
            var value = 0.0
            for (k, amplitude) in harmonics.enumerated() { value += amplitude * sin(2 * Double.pi * phase * Double(k + 1)) }
            samples[i] = Float(0.5 * gain(Double(i) / Double(sampleRate)) * value / peak)
        }
        return samples
    }

    /// Deterministic white noise in −amplitude…amplitude.
    static func noise(seconds: Double, sampleRate: Int, amplitude: Float, seed: UInt64 = 7) -> [Float] {
        var state = seed
        return (0..<Int(seconds * Double(sampleRate))).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * amplitude
        }
    }

    static func hz(midi: Double) -> Double { 440 * pow(2, (midi - 69) / 12) }

    static func cents(_ estimate: Float, _ truth: Double) -> Double { abs(1200 * log2(Double(estimate) / truth)) }
}
