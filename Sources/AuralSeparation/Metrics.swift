import Foundation

/// Separation quality against a known source, as used by the benchmark and tests.
public enum SeparationMetrics {
    /// Signal-to-distortion ratio in dB, `10 log10(|s|² / |s - ŝ|²)` over all
    /// channels (the global SDR of the Music Demixing challenges; BSS-eval's
    /// version also forgives a short distortion filter, this one forgives
    /// nothing).
    public static func sdr(reference: [[Float]], estimate: [[Float]]) -> Double {
        var signal = 0.0, error = 0.0
        for (r, e) in zip(reference, estimate) {
            for i in 0..<min(r.count, e.count) {
                signal += Double(r[i]) * Double(r[i])
                let d = Double(r[i]) - Double(e[i])
                error += d * d
            }
        }
        return 10 * log10((signal + 1e-9) / (error + 1e-9))
    }

    /// Scale-invariant SDR in dB: the estimate is first projected on the
    /// reference, so a wrong overall gain is not counted as distortion.
    public static func siSDR(reference: [[Float]], estimate: [[Float]]) -> Double {
        var dot = 0.0, energy = 0.0
        for (r, e) in zip(reference, estimate) {
            for i in 0..<min(r.count, e.count) {
                dot += Double(r[i]) * Double(e[i])
                energy += Double(r[i]) * Double(r[i])
            }
        }
        let scale = dot / (energy + 1e-9)
        var target = 0.0, noise = 0.0
        for (r, e) in zip(reference, estimate) {
            for i in 0..<min(r.count, e.count) {
                let t = scale * Double(r[i])
                target += t * t
                noise += (Double(e[i]) - t) * (Double(e[i]) - t)
            }
        }
        return 10 * log10((target + 1e-9) / (noise + 1e-9))
    }
}
