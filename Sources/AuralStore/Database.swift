import Dispatch
import Foundation
import Synchronization

/// A pool of connections, each used by one dispatch queue at a time, so
/// blocking driver calls never occupy Swift's cooperative threads.
///
/// SQLite gets one writer connection (SQLite allows one writer; queueing
/// here is cheaper than its busy loop) and several readers, which WAL lets
/// run beside the writer. PostgreSQL shares one pool for both.
public final class Database: Sendable {
    public let dialect: SQLDialect
    private let writers: ConnectionPool
    private let readers: ConnectionPool

    /// Opens `url` — `sqlite:///absolute/path.db`, `sqlite://relative.db` or
    /// `postgres://user@host:port/db?…` (any libpq URI) — and applies the
    /// migrations not yet recorded.
    public static func open(url: String, poolSize: Int = 8, migrations: [Migration] = Schema.migrations) async throws -> Database {
        let database = try Database(url: url, poolSize: poolSize)
        try await database.write { connection in try Migration.apply(migrations, on: connection) }
        return database
    }

    private init(url: String, poolSize: Int) throws {
        let size = max(1, poolSize)
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StoreError.badURL(url) }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            dialect = .sqlite
            writers = try ConnectionPool(label: "sqlite-writer", size: 1) { try SQLiteConnection(path: path, readOnly: false) }
            readers = try ConnectionPool(label: "sqlite-reader", size: size) { try SQLiteConnection(path: path, readOnly: true) }
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            dialect = .postgres
            writers = try ConnectionPool(label: "postgres", size: size) { try PostgresConnection(url: url) }
            readers = writers
        } else {
            throw StoreError.badURL(url)
        }
    }

    /// How long a committed transaction must survive.
    public enum Durability: Sendable {
        /// Survives a database crash once the call returns.
        case flushed
        /// May be lost if the database server itself crashes within a few
        /// milliseconds of the commit (PostgreSQL `synchronous_commit = off`:
        /// no corruption, only the newest commits). For queue transitions the
        /// protocol already tolerates: a lost lease or completion expires
        /// and the task runs again, writing the same outputs.
        case relaxed
    }

    /// Runs `body` in a write transaction (SQLite: `BEGIN IMMEDIATE`, so the
    /// write lock is taken up front and a read-then-write cannot race).
    public func write<T: Sendable>(durability: Durability = .flushed, _ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        let begin = switch (dialect, durability) {
        case (.sqlite, _): "BEGIN IMMEDIATE"  // WAL with synchronous=NORMAL never waits for fsync at commit
        case (.postgres, .flushed): "BEGIN"
        case (.postgres, .relaxed): "BEGIN; SET LOCAL synchronous_commit TO OFF"
        }
        return try await writers.run { connection in
            try connection.execute(script: begin)
            do {
                let result = try body(connection)
                try connection.execute(script: "COMMIT")
                return result
            } catch {
                try? connection.execute(script: "ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` outside a transaction on a reader connection.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        try await readers.run(body)
    }
}

final class ConnectionPool: Sendable {
    private struct Slot: @unchecked Sendable {  // the connection is only touched on its queue
        let connection: SQLConnection
        let queue: DispatchQueue
    }

    private let slots: [Slot]
    private let state: Mutex<(free: [Int], waiting: [CheckedContinuation<Int, Never>])>

    init(label: String, size: Int, connect: () throws -> SQLConnection) throws {
        slots = try (0..<size).map { index in
            Slot(connection: try connect(), queue: DispatchQueue(label: "aural.\(label).\(index)"))
        }
        state = Mutex((Array(0..<size), []))
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws -> T) async throws -> T {
        let index = await acquire()
        defer { release(index) }
        let slot = slots[index]
        return try await withCheckedThrowingContinuation { continuation in
            slot.queue.async { continuation.resume(with: Result { try body(slot.connection) }) }
        }
    }

    private func acquire() async -> Int {
        // Most calls find a free connection: take it without suspending (a
        // continuation resumed at once still costs a trip through the executor).
        if let index = state.withLock({ $0.free.popLast() }) { return index }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let index = state.withLock { state -> Int? in
                if let index = state.free.popLast() { return index }
                state.waiting.append(continuation)
                return nil
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func release(_ index: Int) {
        let next = state.withLock { state -> CheckedContinuation<Int, Never>? in
            if state.waiting.isEmpty {
                state.free.append(index)
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: index)
    }
}
