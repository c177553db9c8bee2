/// One text's embedding. `truncated` says the text was longer than the
/// model reads (its tail did not contribute), so a response can warn.
public struct Embedding: Sendable, Equatable {
    /// Unit length (L2-normalized), so cosine similarity is the dot product.
    public var vector: [Float]
    /// Tokens the model read, `[CLS]` and `[SEP]` included.
    public var tokenCount: Int
    public var truncated: Bool

    public init(vector: [Float], tokenCount: Int, truncated: Bool) {
        self.vector = vector
        self.tokenCount = tokenCount
        self.truncated = truncated
    }
}

/// Turns texts into fixed-size vectors. The local model is one
/// implementation; a remote (OpenAI-compatible) engine is meant to be
/// another, hence `async throws`.
public protocol TextEmbedder: Sendable {
    /// Length of every vector `embed` returns.
    var dimension: Int { get }
    /// One embedding per text, in order.
    func embed(_ texts: [String]) async throws -> [Embedding]
}
