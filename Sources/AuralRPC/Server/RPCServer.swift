import AuralWire
import CNNG
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

public struct RPCServerConfiguration: Sendable {
    /// Service name reported by Health/Check and used in logs.
    public var serviceName: String
    public var version: String = AuralVersion.current
    /// Requests served at once (one nng context each).
    public var concurrency: Int = 64
    /// Largest request accepted; larger ones get `RESOURCE_EXHAUSTED`. The
    /// default fits a 10-minute 44.1 kHz 16-bit stereo WAV sent inline
    /// (about 106 MB). The transport itself refuses frames over twice this
    /// size before allocating them, dropping that connection.
    public var maxMessageBytes: Int = 128 << 20
    /// Deadline for calls that do not carry one.
    public var defaultTimeout: Duration = .seconds(60)
    /// Replies to this many recent mutating calls are kept for deduplication.
    public var idempotencyCacheSize: Int = 4096

    public init(serviceName: String) { self.serviceName = serviceName }
}

/// Serves registered handlers on an nng REP socket: `concurrency` contexts
/// each receive a request, run its handler under the call's deadline and send
/// the reply. A frame that is not a valid envelope is answered with
/// `INVALID_ARGUMENT`; nothing a client sends stops the server.
///
/// Graceful shutdown (ServiceLifecycle) stops receiving, lets the calls in
/// progress finish and reply, then closes the socket.
public final class RPCServer: Service, Sendable {
    public let configuration: RPCServerConfiguration
    private let router: RPCRouter
    private let socket: NNGSocket
    private let slots: [CallSlot]
    private let watchdogIO: AsyncIO
    private let logger: Logger
    private let idempotency: IdempotencyCache
    private let startedAt = ContinuousClock.now
    private let inFlight = CallCounter()
    private let requestIDs = RequestIDGenerator()

    public init(configuration: RPCServerConfiguration, router: RPCRouter, logger: Logger) throws(NNGError) {
        self.configuration = configuration
        self.logger = logger
        self.idempotency = IdempotencyCache(capacity: configuration.idempotencyCacheSize)
        socket = try NNGSocket(.reply, maxReceiveBytes: configuration.maxMessageBytes * 2)
        var slots: [CallSlot] = []
        for _ in 0..<max(1, configuration.concurrency) {
            slots.append(CallSlot(context: try NNGContext(on: socket)))
        }
        self.slots = slots
        watchdogIO = try AsyncIO()

        var router = router
        let serviceName = configuration.serviceName
        let version = configuration.version
        let startedAt = self.startedAt
        let inFlight = self.inFlight
        router.register(HealthMethods.check) { _, _ in
            var response = Aural_V1_HealthCheckResponse()
            response.status = .serving
            response.service = serviceName
            response.version = version
            response.uptimeMs = UInt64((ContinuousClock.now - startedAt) / .milliseconds(1))
            response.inFlight = UInt32(max(0, inFlight.value))
            return response
        }
        router.register(HealthMethods.echo) { request, call in
            if request.delayMs > 0 {
                try await Task.sleep(until: min(call.deadline, .now + .milliseconds(request.delayMs)))
                try call.checkDeadline()
            }
            var response = Aural_V1_EchoResponse()
            response.data = request.data
            return response
        }
        self.router = router
    }

    public func listen(_ url: String) throws(NNGError) {
        try socket.listen(url)
        logger.info("listening", metadata: ["url": "\(url)", "methods": "\(router.methodNames.count)"])
    }

    /// Dials instead of listening (a replica joining a hub that listens).
    public func dial(_ url: String) throws(NNGError) {
        try socket.dial(url)
    }

    public var callsInFlight: Int { inFlight.value }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.enforceDeadlines() }
                await withDiscardingTaskGroup { workers in
                    for slot in slots {
                        workers.addTask { await self.serve(on: slot) }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopReceiving()
        }
        if await socket.close(waitingAtMost: .seconds(2)) {
            logger.info("stopped")
        } else {
            logger.warning("stopped; the nng socket did not close within 2 s ")
        }
    }

    /// Stops taking new requests; calls in progress still reply.
    public func stopReceiving() {
        for slot in slots { slot.context.io.interrupt() }
    }

    /// One worker per context: receive, handle, reply and receive the next
    /// request in one step.
    private func serve(on slot: CallSlot) async {
        var pendingReply: [UInt8]?
        while true {
            let frame: [UInt8]
            do {
                if let reply = pendingReply {
                    frame = try await slot.context.replyThenReceive(reply)
                } else {
                    frame = try await slot.context.receive(timeoutMilliseconds: NNG_DURATION_INFINITE, interruptible: true)
                }
            } catch {
                if error == .cancelled || error == .closed { return }
                logger.warning("receive failed", metadata: ["error": "\(error)"])
                pendingReply = nil
                continue
            }
            inFlight.increment()
            pendingReply = await handle(frame, in: slot)
            inFlight.decrement()
        }
    }

    /// Answers calls whose handler is still running at their deadline with
    /// `DEADLINE_EXCEEDED`. Handlers run inline in their worker (no task per
    /// call), so the reply cannot wait for them; long handlers should check
    /// `RPCCallContext.checkDeadline()` to stop early. Precision: 10 ms.
    private func enforceDeadlines() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            let now = nng_clock()
            for slot in slots {
                guard let expired = slot.claimIfExpired(now: now) else { continue }
                let reply = Self.encode(RPCError.deadlineExceeded("deadline of \(expired) ms exceeded"))
                do {
                    try await slot.context.send(reply, timeoutMilliseconds: 10_000, using: watchdogIO)
                } catch {
                    logger.debug("deadline reply not sent", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Returns the reply to send, or nil when the deadline watchdog already answered.
    private func handle(_ frame: [UInt8], in slot: CallSlot) async -> [UInt8]? {
        let receivedAt = ContinuousClock.now
        let receivedAtMilliseconds = nng_clock()
        guard frame.count <= configuration.maxMessageBytes else {
            logger.warning("request too large", metadata: ["bytes": "\(frame.count)"])
            return Self.encode(RPCError.resourceExhausted(
                "request of \(frame.count) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes"))
        }
        let request: Aural_V1_RpcRequest
        do {
            request = try Aural_V1_RpcRequest(serializedBytes: frame)
        } catch {
            logger.warning("malformed frame", metadata: ["bytes": "\(frame.count)"])
            return Self.encode(RPCError.invalidArgument("frame is not a valid aural.v1.RpcRequest envelope"))
        }
        guard let route = router.routes[request.method] else {
            return Self.encode(RPCError.unimplemented("unknown method \(request.method)"))
        }
        let requestID = request.metadata[RPCMetadataKey.requestID] ?? "server-" + requestIDs.next()
        let timeoutMilliseconds = request.timeoutMs > 0
            ? request.timeoutMs : UInt64(configuration.defaultTimeout / .milliseconds(1))
        let call = RPCCallContext(
            method: request.method, requestID: requestID, metadata: request.metadata,
            deadline: receivedAt + .milliseconds(timeoutMilliseconds), baseLogger: logger)

        let key = route.idempotent ? nil : request.metadata[RPCMetadataKey.idempotencyKey].map { request.method + "\u{0}" + $0 }
        if let key, case .replay(let reply) = await idempotency.claim(key) {
            call.logger.debug("replaying reply to a duplicate request")
            return reply
        }
        let ticket = slot.begin(deadline: receivedAtMilliseconds + timeoutMilliseconds, timeoutMilliseconds: timeoutMilliseconds)
        let (reply, code) = await execute(route, request.payload, call)
        if let key {
            idempotency.finish(key, reply: reply, cacheable: !Self.transientCodes.contains(code))
        }
        return slot.finish(ticket) ? reply : nil
    }

    private func execute(_ route: RPCRouter.Route, _ payload: Data, _ call: RPCCallContext) async -> ([UInt8], RPCStatusCode) {
        do {
            let response = try await route.handler([UInt8](payload), call)
            var reply = Aural_V1_RpcReply()
            reply.status.code = .ok
            reply.payload = Data(response)
            return (try reply.serializedBytes(), .ok)
        } catch let error as RPCError {
            if error.code == .internal || error.code == .unknown {
                call.logger.error("handler failed", metadata: ["error": "\(error)"])
            }
            return (Self.encode(error), error.code)
        } catch is CancellationError {
            return (Self.encode(RPCError.cancelled("call cancelled")), .cancelled)
        } catch {
            call.logger.error("handler failed", metadata: ["error": "\(error)"])
            return (Self.encode(RPCError.internalError("internal error (request \(call.requestID))")), .internal)
        }
    }

    /// Outcomes a retry with the same idempotency key should run again for.
    private static let transientCodes: Set<RPCStatusCode> = [.deadlineExceeded, .unavailable, .cancelled, .resourceExhausted]

    static func encode(_ error: RPCError) -> [UInt8] {
        var reply = Aural_V1_RpcReply()
        reply.status.code = error.code
        reply.status.message = error.message
        return (try? reply.serializedBytes()) ?? []
    }
}

/// Calls being served, shared with the Health/Check handler.
final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
    func decrement() { count.subtract(1, ordering: .relaxed) }
}
