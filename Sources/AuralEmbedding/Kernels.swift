import COpenBLAS

/// The encoder's numeric building blocks, on contiguous row-major buffers.
/// Matrix products go to OpenBLAS; the element-wise loops are plain Swift
/// over raw pointers (no bounds checks, no allocation).
enum Kernels {
    /// `c[m, n] = alpha · a[m, k] · bᵀ + beta · c`, with `b` stored `[n, k]`
    /// (PyTorch's Linear weight layout, and keys for attention scores).
    /// Leading dimensions let `a`, `b` and `c` be column slices of wider rows.
    static func multiplyTransposed(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c[m, n] = a[m, k] · b[k, n]`, overwriting `c`.
    static func multiply(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// Every row of `out` (`rows × width`) set to `bias`, plus the same row
    /// of `residual` when given: the starting value a product is then
    /// accumulated onto (beta 1), which fuses bias and residual into it.
    static func setRows(
        _ out: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        bias: UnsafePointer<Float>, plus residual: UnsafePointer<Float>? = nil
    ) {
        for row in 0..<rows {
            let o = out + row * width
            if let residual {
                let r = residual + row * width
                for j in 0..<width { o[j] = bias[j] + r[j] }
            } else {
                o.update(from: bias, count: width)
            }
        }
    }

    /// Layer normalization of each row in place: zero mean, unit (biased)
    /// variance, then `· gain + bias`.
    static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        gain: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        let n = Float(width)
        for row in 0..<rows {
            let r = x + row * width
            var sum: Float = 0
            for j in 0..<width { sum += r[j] }
            let mean = sum / n
            var squares: Float = 0
            for j in 0..<width {
                let centred = r[j] - mean
                squares += centred * centred
            }
            let scale = 1 / (squares / n + epsilon).squareRoot()
            for j in 0..<width { r[j] = (r[j] - mean) * scale * gain[j] + bias[j] }
        }
    }

    /// GELU in its exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)), as BERT's
    /// "gelu" is (not the tanh approximation); erf to float precision.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = VectorMath.gelu(x[i]) }
    }

    /// Softmax of each row in place, shifted by the row maximum so exp never overflows.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            let r = x + row * width
            var maximum = -Float.infinity
            for j in 0..<width { maximum = max(maximum, r[j]) }
            // Apart from the sum, whose order the optimizer must keep, so this loop vectorizes.
            for j in 0..<width { r[j] = VectorMath.exp(r[j] - maximum) }
            var sum: Float = 0
            for j in 0..<width { sum += r[j] }
            let scale = 1 / sum
            for j in 0..<width { r[j] *= scale }
        }
    }
}
