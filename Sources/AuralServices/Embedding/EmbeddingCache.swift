import AuralBlob
import AuralEmbedding
import Synchronization

/// Recently embedded texts, keyed by model and the text's SHA-256, so a
/// reference text compared many times is embedded once. Approximately LRU
/// at O(1) cost: two generations; when the young one fills, it becomes the
/// old one and the previous old one is dropped; a hit in the old generation
/// moves the entry back to the young one.
final class EmbeddingCache: Sendable {
    private struct Generations {
        var young: [String: Embedding] = [:]
        var old: [String: Embedding] = [:]
    }

    private let model: String
    private let generationSize: Int
    private let generations = Mutex(Generations())

    /// Holds between `capacity / 2` and `capacity` entries.
    init(model: String, capacity: Int) {
        self.model = model
        generationSize = max(1, capacity / 2)
    }

    func key(_ text: String) -> String { model + ":" + BlobDigest.sha256(of: Array(text.utf8)) }

    func lookup(_ key: String) -> Embedding? {
        generations.withLock { state -> Embedding? in
            if let hit = state.young[key] { return hit }
            guard let hit = state.old.removeValue(forKey: key) else { return nil }
            Self.insert(key, hit, into: &state, generationSize: generationSize)
            return hit
        }
    }

    func store(_ key: String, _ embedding: Embedding) {
        generations.withLock { Self.insert(key, embedding, into: &$0, generationSize: generationSize) }
    }

    private static func insert(_ key: String, _ embedding: Embedding, into state: inout Generations, generationSize: Int) {
        if state.young.count >= generationSize {
            state.old = state.young
            state.young = [:]
        }
        state.young[key] = embedding
    }
}
