import AuralTestSupport
import Foundation
import Testing

/// Tests/AuralEmbeddingTests/Fixtures/minilm-reference.json: sentences with
/// the token ids and embeddings sentence-transformers produced for them
/// (Benchmarks/embedding/make_fixture.py).
struct ReferenceFixture: Decodable {
    struct Sentence: Decodable, Sendable, CustomTestStringConvertible {
        var text: String
        var ids: [Int32]
        var truncated: Bool
        var embedding: [Float]

        var testDescription: String { text.count > 40 ? String(text.prefix(40)).debugDescription + "…" : text.debugDescription }
    }

    var reference: String
    var sentences: [Sentence]

    static let shared: ReferenceFixture = {
        let url = Bundle.module.url(forResource: "minilm-reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }()
}
