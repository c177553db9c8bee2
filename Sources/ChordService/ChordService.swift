import ArgumentParser
import AuralBlob
import AuralRPC
import AuralServices
import Foundation
import Logging
import ServiceLifecycle

@main
struct ChordServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ChordService",
        abstract: "Finds the chords, beats, tempo and key of audio.")

    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Address of the direct-call REP socket (env AURAL_CHORDS_RPC; default ipc under DATA/run).")
    var listen: String?

    @Option(help: "Analyses at once (env AURAL_CHORDS_CONCURRENCY; default one per core).")
    var concurrency: Int?

    @Flag(help: "Serve direct calls only; do not pull tasks from SessionService's work queue.")
    var noWorker = false

    @OptionGroup var common: CommonServiceOptions

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment))
        let logger = Logger(label: "ChordService")
        let data = dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data"
        let addresses = AuralAddresses(runDirectory: data + "/run", environment: environment)
        let address = listen ?? addresses.stageRPC["chords"]!
        let width = try concurrency ?? environment.integer("AURAL_CHORDS_CONCURRENCY") ?? BlockingWorkPool.defaultWidth
        let blobs = try LocalBlobStore(root: data + "/blobs")
        let work = BlockingWorkPool(width: width)

        var router = RPCRouter()
        ChordRPCService(blobs: blobs, work: work).register(on: &router)
        let server = try RPCServer(
            configuration: try common.serverConfiguration(serviceName: "ChordService", environment),
            router: router, logger: logger)
        try AuralAddresses.prepare(address)
        try server.listen(address)
        var services: [any Service] = [server]
        if !noWorker {
            var worker = StageWorker.Configuration(workerID: StageWorker.Configuration.defaultWorkerID(stage: .chords))
            worker.concurrency = width
            services.append(try StageWorker(
                handler: ChordStage(blobs: blobs, work: work), workRPC: addresses.workRPC, eventsIn: addresses.eventsIn,
                blobs: blobs, configuration: worker, logger: logger))
        }
        try await ServiceRunner.run(services, logger: logger)
    }
}
