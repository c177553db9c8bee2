import AuralEmbedding
import Synchronization

/// Gathers concurrent requests into batches: while batches run, requests
/// that arrive wait and go together into the next one. An idle service
/// embeds a lone request at once; a busy one shares each batch's matrix
/// products among many texts (several times cheaper per text at batch 32).
final class EmbeddingBatcher: Sendable {
    typealias Run = @Sendable ([String]) async throws -> [Embedding]

    private struct Pending {
        let texts: [String]
        let continuation: CheckedContinuation<[Embedding], any Error>
    }

    private let run: Run
    private let maxBatchTexts: Int
    private let maxConcurrentBatches: Int
    private let state = Mutex((pending: [Pending](), running: 0))

    init(maxBatchTexts: Int, maxConcurrentBatches: Int, run: @escaping Run) {
        self.run = run
        self.maxBatchTexts = max(1, maxBatchTexts)
        self.maxConcurrentBatches = max(1, maxConcurrentBatches)
    }

    func embed(_ texts: [String]) async throws -> [Embedding] {
        if texts.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state -> Bool in
                state.pending.append(Pending(texts: texts, continuation: continuation))
                guard state.running < maxConcurrentBatches else { return false }
                state.running += 1
                return true
            }
            if startDrain { Task { await drain() } }
        }
    }

    /// Runs batches until nothing waits. A request larger than a batch runs alone.
    private func drain() async {
        while let batch = nextBatch() {
            do {
                let embeddings = try await run(batch.flatMap(\.texts))
                var offset = 0
                for request in batch {
                    request.continuation.resume(returning: Array(embeddings[offset..<offset + request.texts.count]))
                    offset += request.texts.count
                }
            } catch {
                for request in batch { request.continuation.resume(throwing: error) }
            }
        }
    }

    private func nextBatch() -> [Pending]? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.running -= 1
                return nil
            }
            var batch: [Pending] = [state.pending.removeFirst()]
            var count = batch[0].texts.count
            while let next = state.pending.first, count + next.texts.count <= maxBatchTexts {
                batch.append(state.pending.removeFirst())
                count += next.texts.count
            }
            return batch
        }
    }
}
