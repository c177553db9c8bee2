import Foundation

/// Reads `AURAL_*` settings. Flags win over the environment, the environment
/// over built-in defaults.
public struct AuralEnvironment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    public subscript(key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    public func integer(_ key: String) throws -> Int? {
        guard let text = self[key] else { return nil }
        guard let value = Int(text) else { throw ConfigurationError("\(key) must be an integer, got \"\(text)\"") }
        return value
    }

    public func double(_ key: String) throws -> Double? {
        guard let text = self[key] else { return nil }
        guard let value = Double(text), value.isFinite else { throw ConfigurationError("\(key) must be a number, got \"\(text)\"") }
        return value
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
