import AuralEmbedding
import AuralRPC
import AuralWire

public enum EmbeddingMethods {
    public static let embed = RPCMethod<Aural_V1_EmbedRequest, Aural_V1_EmbedResponse>(
        "aural.v1.EmbeddingService/Embed", idempotent: true)
    public static let similarity = RPCMethod<Aural_V1_TextSimilarityRequest, Aural_V1_TextSimilarityResponse>(
        "aural.v1.EmbeddingService/Similarity", idempotent: true)
}

/// How a cosine becomes the 0–100 `score` clients show: negative cosines
/// (no shared meaning at all) are 0, and the rest scale linearly, so 0.8 is
/// 80. Linear, so equal steps in cosine are equal steps in score.
public enum SimilarityScore {
    public static func score(cosine: Double) -> Double {
        (min(max(cosine, 0), 1) * 1000).rounded() / 10
    }
}

/// EmbeddingService's direct calls: texts in, unit vectors out, with
/// concurrent requests batched and recent texts served from a cache.
public struct EmbeddingRPCService: Sendable {
    public static let modelName = "all-MiniLM-L6-v2"
    public static let maxTextsPerRequest = 256
    public static let maxTextBytes = 64 << 10

    let dimension: Int
    private let batcher: EmbeddingBatcher
    private let cache: EmbeddingCache

    /// `work` runs the model's batches, at most its width at once.
    public init(model: MiniLMModel, work: BlockingWorkPool, cacheCapacity: Int = 10_000) {
        dimension = model.dimension
        batcher = EmbeddingBatcher(maxBatchTexts: model.batchSize, maxConcurrentBatches: work.width) { texts in
            try await work.run { model.embed(texts) }
        }
        cache = EmbeddingCache(model: Self.modelName, capacity: cacheCapacity)
    }

    public func register(on router: inout RPCRouter) {
        router.register(EmbeddingMethods.embed) { request, _ in
            let embeddings = try await embed(request.texts)
            var response = Aural_V1_EmbedResponse()
            response.model = Self.modelName
            response.dimensions = UInt32(dimension)
            response.embeddings = embeddings.map { embedding in
                var wire = Aural_V1_Embedding()
                wire.values = embedding.vector
                wire.tokens = UInt32(embedding.tokenCount)
                wire.truncated = embedding.truncated
                return wire
            }
            return response
        }
        router.register(EmbeddingMethods.similarity) { request, _ in
            let pair = try await embed([request.a, request.b])
            let cosine = Double(AuralEmbedding.cosine(pair[0].vector, pair[1].vector))
            var response = Aural_V1_TextSimilarityResponse()
            response.model = Self.modelName
            response.cosine = cosine
            response.score = SimilarityScore.score(cosine: cosine)
            response.truncated = pair[0].truncated || pair[1].truncated
            return response
        }
    }

    func embed(_ texts: [String]) async throws -> [Embedding] {
        guard !texts.isEmpty else { throw RPCError.invalidArgument("no texts to embed") }
        guard texts.count <= Self.maxTextsPerRequest else {
            throw RPCError.invalidArgument("\(texts.count) texts in one request; at most \(Self.maxTextsPerRequest)")
        }
        if let long = texts.firstIndex(where: { $0.utf8.count > Self.maxTextBytes }) {
            throw RPCError.invalidArgument("text \(long) is longer than \(Self.maxTextBytes) bytes")
        }
        let keys = texts.map(cache.key)
        var results = keys.map(cache.lookup)
        let missing = results.indices.filter { results[$0] == nil }
        if !missing.isEmpty {
            let fresh = try await batcher.embed(missing.map { texts[$0] })
            for (index, embedding) in zip(missing, fresh) {
                results[index] = embedding
                cache.store(keys[index], embedding)
            }
        }
        return results.map { $0! }
    }

}
