import ArgumentParser
import AuralBlob
import AuralRPC
import AuralServices
import Foundation
import Logging

@main
struct SeparationServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SeparationService",
        abstract: "Separates audio into vocals, drums, bass, other and instrumental stems.")

    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Address of the direct-call REP socket (env AURAL_SEPARATION_RPC; default ipc under DATA/run).")
    var listen: String?

    @Option(help: "Separations at once (env AURAL_SEPARATION_CONCURRENCY; default one per core).")
    var concurrency: Int?

    @OptionGroup var common: CommonServiceOptions

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment))
        let logger = Logger(label: "SeparationService")
        let data = dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data"
        let address = listen ?? AuralAddresses(runDirectory: data + "/run", environment: environment).stageRPC["separation"]!
        let width = try concurrency ?? environment.integer("AURAL_SEPARATION_CONCURRENCY") ?? BlockingWorkPool.defaultWidth

        var router = RPCRouter()
        SeparationRPCService(blobs: try LocalBlobStore(root: data + "/blobs"), work: BlockingWorkPool(width: width))
            .register(on: &router)
        let server = try RPCServer(
            configuration: try common.serverConfiguration(serviceName: "SeparationService", environment),
            router: router, logger: logger)
        try AuralAddresses.prepare(address)
        try server.listen(address)
        try await ServiceRunner.run([server], logger: logger)
    }
}
