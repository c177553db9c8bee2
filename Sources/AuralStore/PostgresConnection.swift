import CLibPQ
import Foundation

/// A libpq connection. Statements are prepared once per connection and
/// executed with bound parameters (text format, `bytea` in binary).
final class PostgresConnection: SQLConnection {
    let dialect = SQLDialect.postgres
    private let handle: OpaquePointer
    private var statements: [String: String] = [:]

    init(url: String) throws(StoreError) {
        guard let handle = PQconnectdb(url) else { throw .connection("out of memory") }
        self.handle = handle
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(handle)
            PQfinish(handle)
            throw .connection(message)
        }
        _ = try query("SET client_min_messages = warning", [])
    }

    deinit { PQfinish(handle) }

    func execute(script: String) throws(StoreError) {
        try reconnectIfNeeded()
        let result = PQexec(handle, script)
        defer { PQclear(result) }
        try check(result, sql: script)
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws(StoreError) -> [SQLRow] {
        try reconnectIfNeeded()
        let name = try prepared(sql)
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { buffers.forEach { free($0) } }
        for value in parameters {
            switch value {
            case .null:
                buffers.append(nil); lengths.append(0); formats.append(0)
            case .integer(let value): appendText(String(value))
            case .real(let value): appendText(value.isFinite ? "\(value)" : "NaN")
            case .text(let text): appendText(text)
            case .bytes(let bytes):
                let buffer = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                buffers.append(buffer); lengths.append(Int32(bytes.count)); formats.append(1)
            }
        }
        func appendText(_ text: String) {
            buffers.append(strdup(text)); lengths.append(0); formats.append(0)
        }
        let pointers = buffers.map { UnsafePointer($0) }
        let result = PQexecPrepared(handle, name, Int32(parameters.count), pointers, lengths, formats, 0)
        defer { PQclear(result) }
        try check(result, sql: sql)
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        guard rowCount > 0 else { return [] }
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [SQLRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                values.append(PQgetisnull(result, row, column) == 1 ? .null : .text(String(cString: PQgetvalue(result, row, column))))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    private func prepared(_ sql: String) throws(StoreError) -> String {
        if let name = statements[sql] { return name }
        let name = "aural_\(statements.count + 1)"
        let result = PQprepare(handle, name, sql, 0, nil)
        defer { PQclear(result) }
        try check(result, sql: sql)
        statements[sql] = name
        return name
    }

    /// A server restart drops the connection; the next query reconnects
    /// (prepared statements live in the old server session, so they go too).
    private func reconnectIfNeeded() throws(StoreError) {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        PQreset(handle)
        statements.removeAll()
        guard PQstatus(handle) == CONNECTION_OK else { throw .connection(Self.message(handle)) }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(StoreError) {
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        let message = result.map { String(cString: PQresultErrorMessage($0)) } ?? Self.message(handle)
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        if state.hasPrefix("23") { throw .constraint(message.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if PQstatus(handle) != CONNECTION_OK { throw .connection(message.trimmingCharacters(in: .whitespacesAndNewlines)) }
        throw .query(message: message.trimmingCharacters(in: .whitespacesAndNewlines), sql: sql)
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
