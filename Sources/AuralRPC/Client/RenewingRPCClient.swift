import Logging
import Synchronization

/// An `RPCClient` that replaces its socket after every `renewAfter`
/// consecutive transport failures (UNAVAILABLE, DEADLINE_EXCEEDED). Works
/// around an nng 1.5.2 REQ socket that, now and then, stays silent after its
/// server restarts while a new socket is answered at once (docs/SESSION.md).
/// Long-lived clients of a service that may restart use this one.
public final class RenewingRPCClient: Sendable {
    private let makeClient: @Sendable () throws -> RPCClient
    private let current: Mutex<RPCClient>
    /// Replaced clients stay open until their calls in flight are over: closing
    /// one at once would lose a reply the server already acted on (a lease).
    private let retired = Mutex<[RPCClient]>([])
    private let retireAfter: Duration
    private let failures = Atomic<Int>(0)
    private let renewAfter: Int
    private let logger: Logger

    public init(renewAfter: Int = 3, retireAfter: Duration = .seconds(90), logger: Logger,
                makeClient: @escaping @Sendable () throws -> RPCClient) throws {
        self.makeClient = makeClient
        self.retireAfter = retireAfter
        current = Mutex(try makeClient())
        self.renewAfter = max(1, renewAfter)
        self.logger = logger
    }

    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request,
        timeout: Duration? = nil, metadata: [String: String] = [:]
    ) async throws(RPCError) -> Response {
        let client = current.withLock { $0 }
        do {
            let response = try await client.call(method, request, timeout: timeout, metadata: metadata)
            failures.store(0, ordering: .relaxed)
            return response
        } catch {
            if error.code == .unavailable || error.code == .deadlineExceeded { noteTransportFailure() }
            throw error
        }
    }

    private func noteTransportFailure() {
        let count = failures.wrappingAdd(1, ordering: .relaxed).newValue
        guard count % renewAfter == 0, let fresh = try? makeClient() else { return }
        let old = current.withLock { client in
            defer { client = fresh }
            return client
        }
        logger.notice("RPC client renewed after \(count) failed calls")
        retired.withLock { $0.append(old) }
        Task { [retireAfter] in
            try? await Task.sleep(for: retireAfter)
            let closing = self.retired.withLock { clients in clients.firstIndex { $0 === old }.map { clients.remove(at: $0) } }
            closing?.close()
        }
    }

    public func close() {
        current.withLock { $0 }.close()
        for client in retired.withLock({ clients in defer { clients.removeAll() }; return clients }) { client.close() }
    }
}
