import AuralEmbedding
import Testing
import Foundation

/// The installed model, found as the services find it (AURAL_MODELS_DIR,
/// else ./data/models), loaded once for all tests. Absent, the tests that
/// need it pass without running, loudly, except under CI=true, where a
/// missing model fails them (as scripts/with-test-postgres does for PostgreSQL).
enum TestModel {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    static var directory: URL { ModelLocation.miniLMDirectory() }

    private static let loaded: Result<MiniLMModel?, any Error> = Result { () throws(any Error) -> MiniLMModel? in
        do {
            return try MiniLMModel(directory: directory, batchSize: 8)
        } catch EmbeddingModelError.missingFile(let path) {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                throw Unavailable(description: "CI=true requires the embedding model, missing: \(path); run `scripts/bootstrap --models`")
            }
            FileHandle.standardError.write(Data("""

                ##########################################################################
                # ⚠️  SKIPPED: AuralEmbedding model tests — no model at \(path)
                # Install it with `scripts/bootstrap --models` (make test does).
                # In CI (CI=true) this is an error.
                ##########################################################################

                """.utf8))
            return nil
        }
    }

    /// The model, or nil when it is not installed and the test should skip.
    static func model() throws -> MiniLMModel? { try loaded.get() }
}

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
