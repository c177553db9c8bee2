import ArgumentParser
import AuralEmbedding
import AuralRPC
import AuralServices
import Logging

@main
struct EmbeddingServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EmbeddingService",
        abstract: "Embeds texts with all-MiniLM-L6-v2 and scores their similarity.")

    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Address of the REP socket (env AURAL_EMBEDDING_RPC; default ipc under DATA/run).")
    var listen: String?

    @Option(help: "Batches run at once (env AURAL_EMBEDDING_CONCURRENCY; default one per core).")
    var concurrency: Int?

    @Option(help: "Texts whose embeddings are kept (env AURAL_EMBEDDING_CACHE; default 10000).")
    var cacheSize: Int?

    @OptionGroup var common: CommonServiceOptions

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment), environment: environment)
        let logger = Logger(label: "EmbeddingService")
        let data = dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data"
        let address = listen ?? AuralAddresses(runDirectory: data + "/run", environment: environment).stageRPC["embedding"]!
        let width = try concurrency ?? environment.integer("AURAL_EMBEDDING_CONCURRENCY") ?? BlockingWorkPool.defaultWidth
        let cacheCapacity = try cacheSize ?? environment.integer("AURAL_EMBEDDING_CACHE") ?? 10_000

        let model: MiniLMModel
        do { model = try MiniLMModel() } catch {
            throw ConfigurationError(error.description)
        }
        logger.info("model loaded", metadata: ["model": "\(EmbeddingRPCService.modelName)", "dimension": "\(model.dimension)"])
        var router = RPCRouter()
        EmbeddingRPCService(model: model, work: BlockingWorkPool(width: width), cacheCapacity: cacheCapacity).register(on: &router)
        let server = try RPCServer(configuration: try common.serverConfiguration(serviceName: "EmbeddingService", environment),
                                   router: router, logger: logger)
        try AuralAddresses.prepare(address)
        try server.listen(address)
        try await ServiceRunner.run([server], logger: logger)
    }
}
