import ArgumentParser
import AuralBlob
import AuralRPC
import AuralServices
import AuralSession
import AuralStore
import Foundation
import Logging

@main
struct SessionServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SessionService",
        abstract: "System of record: jobs, the leased task queue, orchestration and the event hub.")

    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "sqlite:///path or postgres://… (env AURAL_DATABASE_URL; default sqlite under DATA).")
    var databaseURL: String?

    @Option(help: "Database connections (env AURAL_DATABASE_POOL; default 8).")
    var databasePool: Int?

    @Option(help: "Lease length in seconds (env AURAL_LEASE_SECONDS; default 30).")
    var leaseSeconds: Double?

    @Option(help: "Attempts per task (env AURAL_MAX_ATTEMPTS; default 3).")
    var maxAttempts: Int?

    @Option(help: "Days finished jobs are kept (env AURAL_RETENTION_DAYS; default 7).")
    var retentionDays: Double?

    @Option(help: "Default stages, comma-separated (env AURAL_PIPELINE; default: the implemented stages).")
    var pipeline: String?

    @OptionGroup var common: CommonServiceOptions

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment))
        let logger = Logger(label: "SessionService")
        let data = dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data"
        let addresses = AuralAddresses(runDirectory: data + "/run", environment: environment)

        var queue = JobStore.Configuration()
        if let seconds = try leaseSeconds ?? environment.double("AURAL_LEASE_SECONDS") {
            guard seconds > 0 else { throw ConfigurationError("lease length must be positive") }
            queue.leaseMilliseconds = Int64(seconds * 1000)
        }
        if let attempts = try maxAttempts ?? environment.integer("AURAL_MAX_ATTEMPTS") {
            guard attempts > 0 else { throw ConfigurationError("attempts must be positive") }
            queue.maxAttempts = attempts
        }
        var maintenance = SessionMaintenance.Configuration()
        if let days = try retentionDays ?? environment.double("AURAL_RETENTION_DAYS") {
            guard days >= 0 else { throw ConfigurationError("retention days cannot be negative") }
            maintenance.retentionMilliseconds = Int64(days * 86_400_000)
        }
        maintenance.reapInterval = min(.seconds(1), .milliseconds(queue.leaseMilliseconds / 4))
        let stages = try (pipeline ?? environment["AURAL_PIPELINE"]).map(Self.stages) ?? Pipeline.implemented

        let url = databaseURL ?? environment["AURAL_DATABASE_URL"] ?? "sqlite://\(data)/aural.db"
        let database = try await Database.open(url: url, poolSize: try databasePool ?? environment.integer("AURAL_DATABASE_POOL") ?? 8)
        logger.info("database ready", metadata: ["dialect": "\(database.dialect.rawValue)"])
        let store = JobStore(database: database, configuration: queue)
        let blobs = try LocalBlobStore(root: data + "/blobs")
        let hub = try EventHub(store: store, eventsIn: addresses.eventsIn, eventsOut: addresses.eventsOut, logger: logger)
        let availability = TaskAvailability()

        var sessionRouter = RPCRouter()
        SessionRPCService(store: store, blobs: blobs, hub: hub, availability: availability, defaultStages: stages)
            .register(on: &sessionRouter)
        SimilaritySessionRPCService(store: SimilaritySessionStore(database: database), blobs: blobs).register(on: &sessionRouter)
        var workRouter = RPCRouter()
        WorkQueueRPCService(store: store, hub: hub, availability: availability).register(on: &workRouter)
        let serverConfiguration = try common.serverConfiguration(serviceName: "SessionService", environment)
        let sessionServer = try RPCServer(configuration: serverConfiguration, router: sessionRouter, logger: logger)
        let workServer = try RPCServer(configuration: serverConfiguration, router: workRouter, logger: logger)
        for (server, address) in [(sessionServer, addresses.sessionRPC), (workServer, addresses.workRPC)] {
            try AuralAddresses.prepare(address)
            try server.listen(address)
        }
        let cleaner = SessionMaintenance(store: store, blobs: blobs, hub: hub, availability: availability,
                                         configuration: maintenance, logger: logger)
        logger.info("serving", metadata: ["session-rpc": "\(addresses.sessionRPC)", "work-rpc": "\(addresses.workRPC)"])
        try await ServiceRunner.run([hub, cleaner, workServer, sessionServer], logger: logger)
    }

    static func stages(_ list: String) throws -> [PipelineStage] {
        try list.split(separator: ",").map { name in
            guard let stage = PipelineStage(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError("unknown stage \"\(name)\" (known: \(PipelineStage.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return stage
        }
    }
}
