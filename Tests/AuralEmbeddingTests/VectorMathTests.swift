import Foundation
import Testing

@testable import AuralEmbedding

/// The encoder's exp and GELU against glibc's scalar functions, over the
/// range the encoder feeds them and beyond.
@Suite struct VectorMathTests {
    @Test func expMatchesLibmForNonPositiveArguments() {
        var worst: Float = 0
        for i in 0...20_000 {
            let y = -Float(i) * 0.005  // 0 … −100
            let got = VectorMath.exp(y)
            let want = expf(y)
            if want > 1e-30 { worst = max(worst, abs(got - want) / want) }
            #expect(got >= 0 && got <= 1)
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
    }

    @Test func geluMatchesTheErfForm() {
        var worst: Float = 0
        var values = (0...24_000).map { Float($0 - 12_000) * 0.001 }  // −12 … 12
        let want = values.map { 0.5 * $0 * (1 + erff($0 * 0.70710678)) }
        Kernels.gelu(&values, count: values.count)
        for (got, want) in zip(values, want) { worst = max(worst, abs(got - want)) }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
    }
}
