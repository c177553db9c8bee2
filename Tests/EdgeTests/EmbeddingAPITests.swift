import AsyncHTTPClient
import AuralTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `/embeddings` and `/similarity` through the Edge and a running EmbeddingService.
extension EdgeProcessTests {
    @Suite struct EmbeddingAPITests {
        @Test(.timeLimit(.minutes(3))) func embeddingsAndTextSimilarity() async throws {
            guard try TestModel.installed() else { return }
            try await EdgeStack.with(edgeEnvironment: ["AURAL_RPC_TIMEOUT_SECONDS": "3"], worker: false) { stack in
                func post(_ path: String, _ object: [String: Any]) async throws -> EdgeStack.Reply {
                    try await stack.send(.POST, path, headers: ["Content-Type": "application/json"],
                                         body: .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))))
                }
                // Before EmbeddingService is up: the Edge says so, it does not hang.
                try await post("/api/v1/similarity", ["text_a": "a", "text_b": "b"]).expectError(.serviceUnavailable, "service_unavailable")

                try await stack.startEmbeddingService()
                let list = try await post("/api/v1/embeddings", ["input": ["The cat sleeps.", "A kitten naps."], "model": "all-MiniLM-L6-v2"])
                #expect(list.status == .ok, "\(String(decoding: list.body, as: UTF8.self))")
                let body = try list.json()
                #expect(body["object"] as? String == "list" && body["model"] as? String == "all-MiniLM-L6-v2")
                let data = try #require(body["data"] as? [[String: Any]])
                #expect(data.map { $0["index"] as? Int } == [0, 1])
                #expect(data.allSatisfy { ($0["embedding"] as? [Double])?.count == 384 })
                #expect(((body["usage"] as? [String: Any])?["total_tokens"] as? Int ?? 0) > 4)

                let single = try await post("/api/v1/embeddings", ["input": String(repeating: "long ", count: 500)]).json()
                #expect(single["truncated"] as? [Int] == [0])

                let close = try await post("/api/v1/similarity", ["text_a": "The cat sleeps on the sofa.", "text_b": "A kitten naps on the couch."]).json()
                let far = try await post("/api/v1/similarity", ["text_a": "The cat sleeps on the sofa.", "text_b": "Interest rates rose again."]).json()
                let closeScore = try #require(close["score"] as? Double), farScore = try #require(far["score"] as? Double)
                #expect(closeScore > farScore + 30, "\(close) vs \(far)")
                #expect(abs(closeScore - 100 * max(0, close["cosine"] as? Double ?? -1)) < 0.051)

                try await post("/api/v1/embeddings", ["input": ["x"], "model": "text-embedding-3-large"]).expectError(.badRequest, "bad_request")
                try await post("/api/v1/embeddings", ["texts": ["x"]]).expectError(.badRequest, "bad_request")
                try await post("/api/v1/embeddings", ["input": []]).expectError(.badRequest, "bad_request")
                try await post("/api/v1/similarity", ["text_a": "only one"]).expectError(.badRequest, "bad_request")
            }
        }
    }
}
