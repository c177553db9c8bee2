import Foundation

/// A numbered schema change. Both drivers run the same migrations; the few
/// spelling differences go through `SQLDialect` (see `Schema`).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: @Sendable (SQLDialect) -> String

    public init(version: Int, name: String, sql: @escaping @Sendable (SQLDialect) -> String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Applies, in order, every migration not yet recorded in
    /// `schema_migrations`. Runs inside the caller's write transaction; on
    /// PostgreSQL an advisory lock keeps two starting processes apart.
    static func apply(_ migrations: [Migration], on connection: SQLConnection) throws {
        if connection.dialect == .postgres { try connection.query("SELECT pg_advisory_xact_lock(727172)") }
        try connection.execute(script: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at_ms BIGINT NOT NULL)
            """)
        let applied = Set(try connection.query("SELECT version FROM schema_migrations").map { try $0.int("version") })
        var previous = 0
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            guard migration.version > previous else { throw StoreError.migration("version \(migration.version) appears twice") }
            previous = migration.version
            guard !applied.contains(Int64(migration.version)) else { continue }
            do {
                try connection.execute(script: migration.sql(connection.dialect))
            } catch {
                throw StoreError.migration("\(migration.version) \(migration.name): \(error)")
            }
            try connection.query(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
                .int(migration.version), .text(migration.name), .int(UnixTime.nowMilliseconds()))
        }
    }
}

public enum UnixTime {
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
