import AuralWire
import Logging
import SwiftProtobuf

/// What a handler knows about the call it serves.
public struct RPCCallContext: Sendable {
    public let method: String
    public let requestID: String
    public let metadata: [String: String]
    public let deadline: ContinuousClock.Instant
    let baseLogger: Logger

    /// Carries `request-id`, `method` and `traceparent` (when present) as
    /// metadata. Built on use: most calls never log.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "request-id"] = "\(requestID)"
        logger[metadataKey: "method"] = "\(method)"
        if let traceparent { logger[metadataKey: "traceparent"] = "\(traceparent)" }
        return logger
    }

    public var traceparent: String? { metadata[RPCMetadataKey.traceparent] }

    /// Throws `DEADLINE_EXCEEDED` once the caller's deadline has passed; long
    /// handlers call it between units of work (the server has already
    /// answered the caller by then, so the rest of the work would be wasted).
    public func checkDeadline() throws(RPCError) {
        if ContinuousClock.now >= deadline { throw .deadlineExceeded("deadline exceeded in \(method)") }
    }
    public var principal: String? { metadata[RPCMetadataKey.principal] }
}

/// The handler table of a server, built before it starts and immutable after.
public struct RPCRouter: Sendable {
    typealias ErasedHandler = @Sendable ([UInt8], RPCCallContext) async throws -> [UInt8]

    struct Route: Sendable {
        let idempotent: Bool
        let handler: ErasedHandler
    }

    private(set) var routes: [String: Route] = [:]

    public init() {}

    /// Registers `handler` for `method`. A payload that does not decode as
    /// `Request` is answered with `INVALID_ARGUMENT` without calling it.
    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, RPCCallContext) async throws -> Response
    ) {
        routes[method.name] = Route(idempotent: method.idempotent) { payload, context in
            let request: Request
            do {
                request = try Request(serializedBytes: payload)
            } catch {
                throw RPCError.invalidArgument("payload is not a valid \(Request.protoMessageName): \(error)")
            }
            return try await handler(request, context).serializedBytes()
        }
    }

    var methodNames: [String] { routes.keys.sorted() }
}
