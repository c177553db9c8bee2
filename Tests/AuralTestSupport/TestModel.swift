import AuralEmbedding
import Foundation

/// The installed model, where `scripts/bootstrap --models` puts it
/// (AURAL_MODELS_DIR, else the repository's data/models), loaded once for
/// all tests. Absent, the tests that need it pass without running, loudly,
/// except under CI=true, where a missing model fails them (as
/// scripts/with-test-postgres does for PostgreSQL).
public enum TestModel {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// For child processes (EmbeddingService), whatever their data directory.
    public static var environment: [String: String] {
        [ModelLocation.environmentVariable: ModelLocation.modelsDirectory(
            environment: ["AURAL_DATA_DIR": repositoryRoot.appendingPathComponent("data").path]
                .merging(ProcessInfo.processInfo.environment) { $1 }).path]
    }

    public static var directory: URL { ModelLocation.miniLMDirectory(environment: environment) }

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
    public static func model() throws -> MiniLMModel? { try loaded.get() }

    /// Whether tests that start EmbeddingService can run (same rules as `model()`).
    public static func installed() throws -> Bool { try model() != nil }
}

