import AuralEmbedding
import AuralRPC
@testable import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Synchronization
import Testing

/// Against the real EmbeddingService executable and the installed model.
@Suite("EmbeddingService process", .serialized)
struct EmbeddingServiceTests {
    func startService() async throws -> (ServiceProcess, RPCClient)? {
        guard try TestModel.installed() else { return nil }
        let url = TestAddress.ipc()
        let service = try await ServiceProcess.start(
            "EmbeddingService", arguments: ["--listen", url, "--log-level", "error"], healthURL: url,
            environment: TestModel.environment)
        return (service, try RPCClient(dialing: url, logger: testLogger))
    }

    @Test func embeddingsAreUnitVectorsAndMeaningOrdersSimilarity() async throws {
        guard let (service, client) = try await startService() else { return }
        defer { client.close() }
        let texts = ["A man is playing a guitar.", "Someone strums a guitar.", "The stock market fell sharply today."]
        let reply = try await client.call(EmbeddingMethods.embed, .with { $0.texts = texts }, timeout: .seconds(30))
        #expect(reply.model == "all-MiniLM-L6-v2" && reply.dimensions == 384)
        #expect(reply.embeddings.count == 3)
        for embedding in reply.embeddings {
            #expect(embedding.values.count == 384)
            #expect(abs(embedding.values.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
            #expect(!embedding.truncated && embedding.tokens > 2)
        }
        func similarity(_ a: String, _ b: String) async throws -> Aural_V1_TextSimilarityResponse {
            try await client.call(EmbeddingMethods.similarity, .with { $0.a = a; $0.b = b }, timeout: .seconds(30))
        }
        let paraphrase = try await similarity(texts[0], texts[1])
        let unrelated = try await similarity(texts[0], texts[2])
        #expect(paraphrase.cosine > unrelated.cosine + 0.3, "\(paraphrase.cosine) vs \(unrelated.cosine)")
        #expect(paraphrase.score == SimilarityScore.score(cosine: paraphrase.cosine))
        // The pair's vectors agree with the Embed call's (served from the cache or not).
        let dot = zip(reply.embeddings[0].values, reply.embeddings[1].values).reduce(0) { $0 + Double($1.0 * $1.1) }
        #expect(abs(dot - paraphrase.cosine) < 1e-5)

        let long = String(repeating: "word ", count: 400)
        let cut = try await client.call(EmbeddingMethods.embed, .with { $0.texts = [long] }, timeout: .seconds(30))
        #expect(cut.embeddings[0].truncated && cut.embeddings[0].tokens == 256)
        await service.kill()
    }

    @Test func concurrentRequestsEachGetTheirOwnVectors() async throws {
        guard let (service, client) = try await startService() else { return }
        defer { client.close() }
        let texts = (0..<40).map { "Sentence number \($0) is about topic \($0 % 7)." }
        let single = try await client.call(EmbeddingMethods.embed, .with { $0.texts = texts }, timeout: .seconds(60))
        // The same texts one per call, all at once: batched together, each answered with its own vector.
        let separately = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask {
                    (index, try await client.call(EmbeddingMethods.embed, .with { $0.texts = [text + " "] }, timeout: .seconds(60))
                        .embeddings[0].values)
                }
            }
            var vectors = [[Float]](repeating: [], count: texts.count)
            for try await (index, vector) in group { vectors[index] = vector }
            return vectors
        }
        for (batched, alone) in zip(single.embeddings.map(\.values), separately) {
            #expect(zip(batched, alone).allSatisfy { abs($0 - $1) < 1e-4 })
        }
        await service.kill()
    }

    @Test func badRequestsAreRefusedAndAMissingModelStopsTheServiceWithTheInstallCommand() async throws {
        guard let (service, client) = try await startService() else { return }
        defer { client.close() }
        for texts in [[], Array(repeating: "x", count: EmbeddingRPCService.maxTextsPerRequest + 1),
                      [String(repeating: "y", count: EmbeddingRPCService.maxTextBytes + 1)]] {
            await #expect(throws: RPCError.self) {
                try await client.call(EmbeddingMethods.embed, .with { $0.texts = texts }, timeout: .seconds(10))
            }
        }
        await service.kill()

        let withoutModel = Process()
        withoutModel.executableURL = productsDirectory.appendingPathComponent("EmbeddingService")
        withoutModel.arguments = ["--listen", TestAddress.ipc()]
        withoutModel.environment = ProcessInfo.processInfo.environment.merging(["AURAL_MODELS_DIR": try temporaryDirectory("no-models")]) { $1 }
        let errors = Pipe()
        withoutModel.standardError = errors
        try withoutModel.run()
        let message = String(decoding: try errors.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        withoutModel.waitUntilExit()
        #expect(withoutModel.terminationStatus != 0)
        #expect(message.contains("scripts/bootstrap --models"), "\(message)")
    }
}

/// Pure parts of the service: the score mapping, batching and the cache.
@Suite struct EmbeddingServicePartsTests {
    @Test func scoreIsTheClampedCosineInPercent() {
        #expect(SimilarityScore.score(cosine: 0.8123) == 81.2)
        #expect(SimilarityScore.score(cosine: -0.3) == 0)
        #expect(SimilarityScore.score(cosine: 1.0000001) == 100)
    }

    @Test func requestsArrivingDuringABatchShareTheNextOne() async throws {
        let batches = Mutex<[[String]]>([])
        let gate = AsyncStream<Void>.makeStream()
        let batcher = EmbeddingBatcher(maxBatchTexts: 8, maxConcurrentBatches: 1) { texts in
            batches.withLock { $0.append(texts) }
            if texts == ["first"] { for await _ in gate.stream { break } }  // hold the first batch until the rest queue up
            return texts.map { Embedding(vector: [Float($0.count)], tokenCount: 1, truncated: false) }
        }
        async let first = batcher.embed(["first"])
        while batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        let rest = Task {
            try await withThrowingTaskGroup(of: [Embedding].self) { group in
                for text in ["a", "bb", "ccc", "dddd", "eeeee"] { group.addTask { try await batcher.embed([text]) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        gate.continuation.yield()
        #expect(try await first.map(\.vector) == [[5]])
        #expect(Set(try await rest.value.map { $0.vector[0] }) == [1, 2, 3, 4, 5])
        let seen = batches.withLock { $0 }
        #expect(seen.count == 2 && Set(seen[1]) == ["a", "bb", "ccc", "dddd", "eeeee"], "\(seen)")
    }
}
