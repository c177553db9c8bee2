import AuralStore
import Foundation

/// The databases every store and queue test runs against: a SQLite file in
/// a temporary directory, and a fresh schema in the PostgreSQL server that
/// `make test` starts (scripts/with-test-postgres sets AURAL_TEST_POSTGRES_URL).
public enum TestDatabaseKind: String, Sendable, CaseIterable {
    case sqlite, postgres

}

public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let description = "AURAL_TEST_POSTGRES_URL is not set, and CI=true requires the PostgreSQL tests to run"
}

public enum TestDatabases {
    /// A database URL of `kind` that no other test uses, or nil when
    /// PostgreSQL is not available outside CI (the test then passes without
    /// running, loudly; under CI=true a missing server fails the test).
    public static func url(_ kind: TestDatabaseKind) async throws -> String? {
        switch kind {
        case .sqlite:
            return "sqlite://" + (try temporaryDirectory("db")) + "/aural.db"
        case .postgres:
            let environment = ProcessInfo.processInfo.environment
            guard let server = environment["AURAL_TEST_POSTGRES_URL"], !server.isEmpty else {
                if environment["CI"] == "true" { throw PostgresUnavailable() }
                FileHandle.standardError.write(Data("""
                    ⚠️  SKIPPED: PostgreSQL test variant — AURAL_TEST_POSTGRES_URL is not set (run `make test`).\n
                    """.utf8))
                return nil
            }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let admin = try await Database.open(url: server, poolSize: 1, migrations: [])
            try await admin.write { db in try db.execute(script: "CREATE SCHEMA \(schema)") }
            return server + (server.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        }
    }
}
