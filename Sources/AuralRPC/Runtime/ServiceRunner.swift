import ArgumentParser
import Logging
import ServiceLifecycle

/// Options every Aural service executable accepts; each falls back to an
/// `AURAL_*` variable and then a default.
public struct CommonServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env AURAL_LOG_LEVEL; default info).")
    public var logLevel: String?

    @Option(help: "Requests served at once (env AURAL_RPC_CONCURRENCY; default 64).")
    public var rpcConcurrency: Int?

    @Option(help: "Largest RPC message in MiB (env AURAL_RPC_MAX_MESSAGE_MB; default 128).")
    public var rpcMaxMessageMb: Int?

    public init() {}

    public func logLevel(_ environment: AuralEnvironment) throws -> Logger.Level {
        let text = logLevel ?? environment["AURAL_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError("unknown log level \"\(text)\"")
        }
        return level
    }

    public func serverConfiguration(serviceName: String, _ environment: AuralEnvironment) throws -> RPCServerConfiguration {
        var configuration = RPCServerConfiguration(serviceName: serviceName)
        if let concurrency = try rpcConcurrency ?? environment.integer("AURAL_RPC_CONCURRENCY") {
            guard concurrency > 0 else { throw ConfigurationError("RPC concurrency must be positive") }
            configuration.concurrency = concurrency
        }
        if let megabytes = try rpcMaxMessageMb ?? environment.integer("AURAL_RPC_MAX_MESSAGE_MB") {
            guard megabytes > 0 else { throw ConfigurationError("RPC message limit must be positive") }
            configuration.maxMessageBytes = megabytes << 20
        }
        return configuration
    }
}

public enum AuralLogging {
    /// Only executables call this (libraries take a `Logger`). Lines are
    /// human-readable unless `AURAL_LOG_FORMAT=json` asks for JSON lines.
    public static func bootstrap(level: Logger.Level, environment: AuralEnvironment = .init()) {
        let json = environment["AURAL_LOG_FORMAT"]?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

public enum ServiceRunner {
    /// Runs `services` until SIGTERM or SIGINT, then shuts them down
    /// gracefully in reverse order.
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
