import AuralWire
import CNNG
import Foundation
import Logging
import SwiftProtobuf

public struct RPCClientConfiguration: Sendable {
    /// Calls in flight at once over the one socket (one nng context each);
    /// further calls wait for a free context.
    public var maxInFlight: Int = 64
    /// Largest request this client sends (checked before sending) and half
    /// the largest reply frame it accepts.
    public var maxMessageBytes: Int = 128 << 20
    /// Deadline for calls that do not pass one.
    public var defaultTimeout: Duration = .seconds(30)
    public var retry = RetryPolicy()

    public init() {}
}

/// Calls Aural RPC methods over one nng REQ socket with many calls in flight.
/// Every call has a deadline, which travels in the envelope so the server
/// stops working on it too. A call whose connection drops fails with
/// `UNAVAILABLE`; idempotent methods are then retried per `RetryPolicy`,
/// mutating ones carry an idempotency key so a caller may retry them safely.
public final class RPCClient: Sendable {
    public let configuration: RPCClientConfiguration
    private let socket: NNGSocket
    private let pool: ContextPool
    private let logger: Logger
    private let requestIDs = RequestIDGenerator()

    /// Dials each of `urls` in the background; calls queue until a connection is up.
    public init(dialing urls: [String], configuration: RPCClientConfiguration = .init(), logger: Logger) throws(NNGError) {
        self.configuration = configuration
        self.logger = logger
        socket = try NNGSocket(.request, maxReceiveBytes: configuration.maxMessageBytes * 2)
        pool = ContextPool(socket: socket, limit: configuration.maxInFlight)
        for url in urls { try socket.dial(url) }
    }

    public convenience init(dialing url: String, configuration: RPCClientConfiguration = .init(), logger: Logger) throws(NNGError) {
        try self.init(dialing: [url], configuration: configuration, logger: logger)
    }

    deinit { close() }

    /// Closes the socket; calls in flight fail with `UNAVAILABLE`. The close
    /// itself runs on its own thread, so it never blocks the caller.
    public func close() {
        pool.close()
        socket.closeDetached()
    }

    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ request: Request,
        timeout: Duration? = nil,
        metadata: [String: String] = [:]
    ) async throws(RPCError) -> Response {
        let deadline = ContinuousClock.now + (timeout ?? configuration.defaultTimeout)
        var envelope = Aural_V1_RpcRequest()
        envelope.method = method.name
        envelope.metadata = metadata
        if envelope.metadata[RPCMetadataKey.requestID] == nil {
            envelope.metadata[RPCMetadataKey.requestID] = requestIDs.next()
        }
        if !method.idempotent, envelope.metadata[RPCMetadataKey.idempotencyKey] == nil {
            envelope.metadata[RPCMetadataKey.idempotencyKey] = envelope.metadata[RPCMetadataKey.requestID]
        }
        do {
            envelope.payload = try request.serializedData()
        } catch {
            throw .invalidArgument("cannot serialize \(Request.protoMessageName): \(error)")
        }
        let policy = method.idempotent ? configuration.retry : .none
        var attempt = 1
        while true {
            do throws(RPCError) {
                let payload = try await attemptCall(&envelope, deadline: deadline)
                do {
                    return try Response(serializedBytes: payload)
                } catch {
                    throw RPCError.internalError("reply is not a valid \(Response.protoMessageName): \(error)")
                }
            } catch {
                let backoff = policy.backoff(afterAttempt: attempt)
                guard attempt < policy.maxAttempts, policy.retryableCodes.contains(error.code),
                      ContinuousClock.now + backoff < deadline
                else { throw error }
                logger.debug("retrying", metadata: ["method": "\(method.name)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                attempt += 1
            }
        }
    }

    private func attemptCall(_ envelope: inout Aural_V1_RpcRequest, deadline: ContinuousClock.Instant) async throws(RPCError) -> Data {
        let remaining = deadline - .now
        guard remaining > .zero else { throw .deadlineExceeded("deadline passed before the call was sent") }
        envelope.timeoutMs = UInt64(max(1, (remaining / .milliseconds(1)).rounded(.up)))
        let frame: [UInt8]
        do { frame = try envelope.serializedBytes() } catch {
            throw .invalidArgument("cannot serialize envelope: \(error)")
        }
        guard frame.count <= configuration.maxMessageBytes else {
            throw .resourceExhausted("request of \(frame.count) bytes exceeds the limit of \(configuration.maxMessageBytes) bytes")
        }

        let context: NNGContext
        do { context = try await pool.acquire() } catch {
            throw .unavailable("client is closed")
        }
        defer { pool.release(context) }

        let replyFrame: [UInt8]
        do throws(NNGError) {
            replyFrame = try await context.request(frame, deadline: nng_clock() + UInt64(Self.milliseconds(until: deadline)))
        } catch {
            throw translate(error, method: envelope.method)
        }
        let reply: Aural_V1_RpcReply
        do { reply = try Aural_V1_RpcReply(serializedBytes: replyFrame) } catch {
            throw .internalError("reply frame is not a valid aural.v1.RpcReply")
        }
        guard reply.status.code == .ok else { throw RPCError(reply.status.code, reply.status.message) }
        return reply.payload
    }

    private func translate(_ error: NNGError, method: String) -> RPCError {
        switch error {
        case .timedOut: .deadlineExceeded("no reply to \(method) before the deadline")
        // With the resend timer off, nng fails a call whose connection drops
        // instead of resending it; only idempotent methods are then retried.
        case .connectionReset:
            .unavailable("connection lost while \(method) was in flight; it may or may not have run")
        case .cancelled: .cancelled("call to \(method) cancelled")
        case .closed: .unavailable("client is closed")
        default: .unavailable("\(method): \(error)")
        }
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = deadline - .now
        return Int32(min(Double(Int32.max), max(1, (remaining / .milliseconds(1)).rounded(.up))))
    }
}
