import ArgumentParser
import AuralBlob
import AuralRPC
import AuralSession
import Logging
import ServiceLifecycle

/// The options every stage service takes. The env names follow the stage:
/// `AURAL_{STAGE}_RPC`, `AURAL_{STAGE}_CONCURRENCY`.
public struct StageServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    public var dataDir: String?

    @Option(help: "Address of the direct-call REP socket (env AURAL_{STAGE}_RPC; default ipc under DATA/run).")
    public var listen: String?

    @Option(help: "Analyses at once, direct calls and queue tasks (env AURAL_{STAGE}_CONCURRENCY; default one per core).")
    public var concurrency: Int?

    @Flag(help: "Serve direct calls only; do not pull tasks from SessionService's work queue.")
    public var noWorker = false

    @OptionGroup public var common: CommonServiceOptions

    public init() {}

    /// What a stage service is made of, given its blob store and work pool:
    /// the direct-call methods and the queue stages it serves (one or more),
    /// over the same libraries.
    public typealias Parts = (registerDirectCalls: (inout RPCRouter) -> Void, stages: [any StageHandler])

    /// Wires and runs a stage service: the REP server for direct calls and,
    /// unless `--no-worker`, a StageWorker per stage it serves. `stage` names
    /// the service's address and settings (`AURAL_{STAGE}_RPC`, `…_CONCURRENCY`);
    /// its stages share one work pool, so together they run at most that many analyses.
    public func run(serviceName: String, stage: PipelineStage, parts: (LocalBlobStore, BlockingWorkPool) -> Parts) async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment), environment: environment)
        let logger = Logger(label: serviceName)
        let data = dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data"
        let addresses = AuralAddresses(runDirectory: data + "/run", environment: environment)
        let address = listen ?? addresses.stageRPC[stage.rawValue]!
        let width = try concurrency ?? environment.integer("AURAL_\(stage.rawValue.uppercased())_CONCURRENCY") ?? BlockingWorkPool.defaultWidth
        let blobs = try LocalBlobStore(root: data + "/blobs")
        let work = BlockingWorkPool(width: width)
        let (registerDirectCalls, handlers) = parts(blobs, work)

        var router = RPCRouter()
        registerDirectCalls(&router)
        let server = try RPCServer(configuration: try common.serverConfiguration(serviceName: serviceName, environment),
                                   router: router, logger: logger)
        try AuralAddresses.prepare(address)
        try server.listen(address)
        var services: [any Service] = [server]
        if !noWorker {
            for handler in handlers {
                var worker = StageWorker.Configuration(workerID: StageWorker.Configuration.defaultWorkerID(stage: handler.stage))
                worker.concurrency = width
                services.append(try StageWorker(handler: handler, workRPC: addresses.workRPC, eventsIn: addresses.eventsIn,
                                                blobs: blobs, configuration: worker, logger: logger))
            }
        }
        try await ServiceRunner.run(services, logger: logger)
    }
}
