import ArgumentParser
import AuralEdge
import AuralRPC
import Logging

@main
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Edge",
        abstract: "Aural's public REST API: uploads, job status, downloads, live progress.",
        discussion: "Configured by AURAL_* environment variables; see the README's configuration table.")

    @Option(help: "HTTP port (env AURAL_HTTP_PORT; default 8080; 0 picks a free port).")
    var port: Int?

    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env AURAL_LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        var environment = AuralEnvironment().values
        if let dataDir { environment["AURAL_DATA_DIR"] = dataDir }
        if let port { environment["AURAL_HTTP_PORT"] = String(port) }
        let level = (logLevel ?? environment["AURAL_LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .info
        AuralLogging.bootstrap(level: level, environment: AuralEnvironment(environment))
        EdgeMetrics.bootstrap()
        let logger = Logger(label: "Edge")
        let configuration = try EdgeConfiguration(environment: AuralEnvironment(environment))
        let edge = try EdgeApplication(configuration: configuration, logger: logger)
        try await ServiceRunner.run(edge.services(onServerRunning: { port in
            logger.notice("Edge listening", metadata: ["url": "http://\(configuration.host):\(port)"])
        }), logger: logger)
    }
}
