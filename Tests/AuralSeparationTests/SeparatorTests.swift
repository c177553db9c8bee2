import AuralAudio
@testable import AuralSeparation
import Foundation
import Testing
import AuralRPC

@Suite("Separation")
struct SeparatorTests {
    @Test func stemsAddUpToTheMix() async throws {
        let (mix, _) = SyntheticSong.make(seconds: 3)
        let stems = try await runOnOwnThread { try Separator().separate(mix) }
        let sum = stems.mix
        for c in 0..<2 {
            let error = zip(mix.channels[c], sum.channels[c]).map { Double($0 - $1) }
            let rms = (error.reduce(0) { $0 + $1 * $1 } / Double(error.count)).squareRoot()
            #expect(rms < 1e-3, "channel \(c): residual RMS \(rms)")
        }
        // instrumental = mix - vocals
        let instrumental = stems.instrumental
        #expect(zip(instrumental.channels[0], zip(mix.channels[0], stems.vocals.channels[0]))
            .allSatisfy { abs($0 - ($1.0 - $1.1)) < 1e-4 })
    }

    @Test func everyStemBeatsTheMixtureAsAnEstimate() async throws {
        let (mix, truth) = SyntheticSong.make(seconds: 4)
        let stems = try await runOnOwnThread { try Separator().separate(mix) }
        for kind in StemKind.additive {
            let reference = truth[kind.rawValue]!.channels
            let separated = SeparationMetrics.sdr(reference: reference, estimate: stems[kind].channels)
            let baseline = SeparationMetrics.sdr(reference: reference, estimate: mix.channels)
            #expect(separated > baseline + 3, "\(kind): \(separated) dB separated vs \(baseline) dB for the mix itself")
        }
    }

    @Test func metricsBehave() {
        let reference: [[Float]] = [[1, -1, 1, -1]]
        #expect(SeparationMetrics.sdr(reference: reference, estimate: reference) > 80)
        #expect(abs(SeparationMetrics.sdr(reference: reference, estimate: [[0.5, -0.5, 0.5, -0.5]]) - 6.02) < 0.01)
        #expect(SeparationMetrics.siSDR(reference: reference, estimate: [[0.5, -0.5, 0.5, -0.5]]) > 80)
    }
}
