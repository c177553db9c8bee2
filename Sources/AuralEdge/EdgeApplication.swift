import AuralAudio
import AuralBlob
import AuralRPC
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// The Edge put together: routes, middleware, the event fan-out and the
/// HTTP server (with WebSocket upgrades), ready to run as services.
public struct EdgeApplication {
    public let configuration: EdgeConfiguration
    let router: Router<EdgeContext>
    let webSockets: WebSocketSubscriptions
    let fanout: JobEventFanout
    /// The backend clients: SessionService, EmbeddingService, TranscriptionService.
    let clients: [RPCClient]
    let logger: Logger

    public init(configuration: EdgeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let blobs = try LocalBlobStore(root: configuration.blobRoot)
        var clientConfiguration = RPCClientConfiguration()
        clientConfiguration.defaultTimeout = configuration.rpcTimeout
        let sessionClient = try RPCClient(dialing: configuration.addresses.sessionRPC, configuration: clientConfiguration, logger: logger)
        let embeddingClient = try RPCClient(dialing: configuration.addresses.stageRPC["embedding"]!, configuration: clientConfiguration,
                                            logger: logger)
        let transcriptionClient = try RPCClient(dialing: configuration.addresses.stageRPC["transcription"]!,
                                                configuration: clientConfiguration, logger: logger)
        clients = [sessionClient, embeddingClient, transcriptionClient]
        let gateway = ServiceGateway(service: "SessionService", client: sessionClient, timeout: configuration.rpcTimeout)
        let embeddings = ServiceGateway(service: "EmbeddingService", client: embeddingClient, timeout: configuration.rpcTimeout)
        // Speech-to-text of up to a minute of audio takes seconds, not milliseconds.
        let transcription = ServiceGateway(service: "TranscriptionService", client: transcriptionClient,
                                           timeout: max(configuration.rpcTimeout, .seconds(60)))
        fanout = try JobEventFanout(eventsOut: configuration.addresses.eventsOut, bufferLimit: configuration.streamBufferEvents, logger: logger)
        let work = BlockingWorkPool(width: 2)
        let uploads = UploadReceiver(blobs: blobs, maxBytes: configuration.maxUploadBytes,
                                     minimumFreeDiskBytes: configuration.minimumFreeDiskBytes, probes: work)
        uploads.sweepAbandoned()
        webSockets = WebSocketSubscriptions(gateway: gateway, fanout: fanout, apiKeys: configuration.apiKeys)

        let router = Router(context: EdgeContext.self)
        router.add(middleware: RequestLifecycleMiddleware(logger: logger))
        if !configuration.corsOrigins.isEmpty { router.add(middleware: CORSPolicyMiddleware(origins: configuration.corsOrigins)) }
        OperationsRoutes(gateway: gateway, blobs: blobs, minimumFreeDiskBytes: configuration.minimumFreeDiskBytes).register(on: router)

        let api = router.group("api/v1")
        api.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys))
        if configuration.rateLimitPerSecond > 0 {
            api.add(middleware: RateLimitMiddleware(limiter: RateLimiter(rate: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst)))
        }
        JobRoutes(gateway: gateway, blobs: blobs, uploads: uploads, files: FileResponder(),
                  transcoder: StemTranscoder(blobs: blobs, work: work), maxQueuedJobs: configuration.maxQueuedJobs).register(on: api)
        SimilaritySessionRoutes(gateway: gateway, transcription: transcription, embeddings: embeddings, blobs: blobs, uploads: uploads)
            .register(on: api)
        EmbeddingRoutes(embeddings: embeddings).register(on: api)
        EventRoutes(gateway: gateway, fanout: fanout, keepAliveInterval: configuration.keepAliveInterval).register(on: api)
        // A plain GET reaching the router was not upgraded: say why.
        api.get("ws") { _, _ -> Response in
            throw APIError.badRequest("this endpoint speaks WebSocket; send an Upgrade request")
        }
        self.router = router
    }

    /// Every route the server answers, as `METHOD /path/{param}` (for the OpenAPI check).
    public var routeDescriptions: [String] {
        router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method.rawValue) /" + path.joined(separator: "/")
        }
    }

    /// The HTTP server and the event fan-out; run them in one ServiceGroup.
    public func services(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        let webSockets = self.webSockets
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 16))) { head, _, _ in webSockets.shouldUpgrade(head) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Aural"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        // Shutdown runs in reverse: the server drains first, the backend clients close last.
        return [ClientCloser(clients: clients), fanout, application]
    }

    /// Closes the backend clients once the server has stopped.
    private struct ClientCloser: Service {
        let clients: [RPCClient]
        func run() async throws {
            try? await gracefulShutdown()
            for client in clients { client.close() }
        }
    }
}
