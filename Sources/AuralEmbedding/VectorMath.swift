/// exp and GELU in plain arithmetic that the optimizer vectorizes. glibc's
/// `erff` and `expf` took a fifth of the encoder's time at batch 32
/// (`perf`), and calls to them keep the loops around them scalar. Written
/// on scalars rather than SIMD types so that debug builds (the tests) stay
/// fast too.
enum VectorMath {
    /// eʸ for y ≤ 0 (softmax after subtracting the row maximum, and
    /// e^(−z²) for erf), relative error about 1e-7. Cody–Waite reduction
    /// y = n·ln 2 + r with |r| ≤ ln 2 / 2, the Taylor series of eʳ to r⁷
    /// (remainder under 1e-8 there), then 2ⁿ put into the exponent bits.
    /// No library calls and no trapping conversions, so loops over it vectorize.
    @inline(__always)
    static func exp(_ y: Float) -> Float {
        // Below −87 e^y leaves float's normal range; 2⁻¹²⁶ is near enough to 0.
        let y = max(y, -87)
        // Adding 1.5·2²³ rounds y·log₂e to an integer in the low mantissa
        // bits (rintf would be a library call on baseline x86-64).
        let shifted = y * 1.44269504 + 12_582_912
        let n = shifted - 12_582_912
        let r = y - n * 0.693359375 + n * 2.12194440e-4  // ln 2 split in two so n·ln2Hi is exact
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // n as an integer is the mantissa bits' offset from 1.5·2²³'s; 2ⁿ has exponent field n + 127.
        let twoToN = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
        return p * Float(bitPattern: twoToN)
    }

    /// x·Φ(x) = x/2·(1 + erf(x/√2)). erf by Abramowitz & Stegun 7.1.26
    /// (absolute error ≤ 1.5e-7): for z ≥ 0, erfc(z) ≈ (a₁t + … + a₅t⁵)·e^(−z²)
    /// with t = 1/(1 + p·z). Then 1 + erf(z) is 2 − erfc(z) for z ≥ 0 and
    /// erfc(|z|) for z < 0, which keeps the negative side free of cancellation.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        let z = x * 0.70710678
        let a = Swift.abs(z)
        let t = 1 / (1 + 0.3275911 * a)
        var poly: Float = 1.061405429
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let erfc = poly * t * exp(-(a * a))
        return 0.5 * x * (z < 0 ? erfc : 2 - erfc)
    }
}
