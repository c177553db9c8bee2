/// The small SQL interface both drivers implement. Repository code writes
/// one statement for both, with `$1, $2, …` placeholders; values are always
/// bound, never interpolated into the text.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
}

public enum SQLDialect: String, Sendable {
    case sqlite, postgres
}

public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String)
    case connection(String)
    case query(message: String, sql: String)
    case constraint(String)
    case migration(String)
    case decoding(String)

    public var description: String {
        switch self {
        case .badURL(let url): "unsupported database URL \"\(url)\" (use sqlite:///path or postgres://…)"
        case .connection(let detail): "database connection: \(detail)"
        case .query(let message, let sql): "database query failed: \(message) [\(sql.prefix(120))]"
        case .constraint(let detail): "database constraint: \(detail)"
        case .migration(let detail): "database migration: \(detail)"
        case .decoding(let detail): "database value: \(detail)"
        }
    }
}

/// One result row. Accessors convert from whatever the driver returned
/// (SQLite returns typed values, PostgreSQL text).
public struct SQLRow: Sendable {
    let columns: [String]
    let values: [SQLValue]

    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    public func int(_ column: String) throws(StoreError) -> Int64 {
        switch self[column] {
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let text):
            guard let value = Int64(text) else { throw .decoding("\(column) is not an integer: \(text)") }
            return value
        case .null, .bytes: throw .decoding("\(column) is not an integer")
        }
    }

    public func optionalInt(_ column: String) throws(StoreError) -> Int64? {
        if case .null = self[column] { return nil }
        return try int(column)
    }

    public func double(_ column: String) throws(StoreError) -> Double {
        switch self[column] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let text):
            guard let value = Double(text) else { throw .decoding("\(column) is not a number: \(text)") }
            return value
        case .null, .bytes: throw .decoding("\(column) is not a number")
        }
    }

    public func string(_ column: String) throws(StoreError) -> String {
        switch self[column] {
        case .text(let text): return text
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .null: return ""
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        }
    }

    public func optionalString(_ column: String) throws(StoreError) -> String? {
        if case .null = self[column] { return nil }
        return try string(column)
    }

    /// PostgreSQL returns `bytea` in text results as `\x` and hex digits.
    public func bytes(_ column: String) throws(StoreError) -> [UInt8] {
        switch self[column] {
        case .bytes(let bytes): return bytes
        case .null: return []
        case .text(let text) where text.hasPrefix("\\x"):
            var result: [UInt8] = []
            result.reserveCapacity((text.utf8.count - 2) / 2)
            var high: UInt8?
            for digit in text.utf8.dropFirst(2) {
                guard let nibble = Self.hexValue(digit) else { throw .decoding("\(column) is not hex bytea") }
                if let first = high { result.append(first << 4 | nibble); high = nil } else { high = nibble }
            }
            return result
        default: throw .decoding("\(column) is not bytes")
        }
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A database connection, used by one thread at a time (the pool sees to it).
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one statement with bound parameters and returns its rows.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue]) throws(StoreError) -> [SQLRow]
    /// Runs several statements without parameters (migrations, BEGIN/COMMIT).
    func execute(script: String) throws(StoreError)
}

extension SQLConnection {
    @discardableResult
    public func query(_ sql: String, _ parameters: SQLValue...) throws(StoreError) -> [SQLRow] {
        try query(sql, parameters)
    }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }

    public static func int<I: BinaryInteger>(_ value: I) -> SQLValue { .integer(Int64(value)) }
    public static func optionalText(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    public static func optionalInt<I: BinaryInteger>(_ value: I?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
}
