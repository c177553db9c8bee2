/// Cosine similarity of two vectors of equal length, in -1...1; 0 when
/// either is all zeros (no direction to compare).
public func cosine(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "cosine of vectors of different lengths (\(a.count), \(b.count))")
    var dot: Float = 0, normA: Float = 0, normB: Float = 0
    for i in a.indices {
        dot += a[i] * b[i]
        normA += a[i] * a[i]
        normB += b[i] * b[i]
    }
    let denominator = (normA * normB).squareRoot()
    return denominator > 0 ? dot / denominator : 0
}
