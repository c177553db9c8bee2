import CNNG
import Foundation
import Synchronization

/// An nng socket of one of the four protocols Aural uses. Options that bound
/// resource use are set before any dial or listen (DESIGN.md §3).
public final class NNGSocket: Sendable {
    public enum Kind: Sendable { case request, reply, publish, subscribe }

    let raw: nng_socket
    public let kind: Kind

    /// - Parameter maxReceiveBytes: frames larger than this are refused by the
    ///   transport before it allocates them (`NNG_OPT_RECVMAXSZ`).
    public init(_ kind: Kind, maxReceiveBytes: Int) throws(NNGError) {
        var socket = nng_socket()
        switch kind {
        case .request: try nngCheck(nng_req0_open(&socket))
        case .reply: try nngCheck(nng_rep0_open(&socket))
        case .publish: try nngCheck(nng_pub0_open(&socket))
        case .subscribe: try nngCheck(nng_sub0_open(&socket))
        }
        self.raw = socket
        self.kind = kind
        try nngCheck(nng_socket_set_size(socket, NNG_OPT_RECVMAXSZ, maxReceiveBytes))
        // Redial quickly after a peer restarts, but back off to 2 s.
        try nngCheck(nng_socket_set_ms(socket, NNG_OPT_RECONNMINT, 50))
        try nngCheck(nng_socket_set_ms(socket, NNG_OPT_RECONNMAXT, 2000))
    }

    public func listen(_ url: String) throws(NNGError) {
        try nngCheck(nng_listen(raw, url, nil, 0))
    }

    /// Dials in the background: the socket connects (and reconnects) whenever
    /// the peer is up, so processes can start in any order.
    public func dial(_ url: String) throws(NNGError) {
        try nngCheck(nng_dial(raw, url, nil, Int32(NNG_FLAG_NONBLOCK)))
    }

    public func setDuration(_ option: String, milliseconds: Int32) throws(NNGError) {
        try nngCheck(nng_socket_set_ms(raw, option, milliseconds))
    }

    public func setBytes(_ option: String, _ bytes: [UInt8]) throws(NNGError) {
        let rv = bytes.withUnsafeBytes { nng_socket_set(raw, option, $0.baseAddress, $0.count) }
        try nngCheck(rv)
    }

    /// Closes the socket; pending operations on it finish with `NNG_ECLOSED`.
    public func close() {
        _ = nng_close(raw)
    }

    /// Closes the socket on a thread of its own without waiting: `nng_close`
    /// blocks until the callbacks of calls in flight have run, and the
    /// caller may be on a thread those callbacks need.
    public func closeDetached() {
        let raw = self.raw
        Thread { _ = nng_close(raw) }.start()
    }

    /// Closes the socket on its own thread and waits at most `limit`: a
    /// service shutting down must exit even if a callback never returns.
    /// Returns false when the close did not finish in time.
    @discardableResult
    public func close(waitingAtMost limit: Duration) async -> Bool {
        let raw = self.raw
        return await withCheckedContinuation { continuation in
            let outcome = FirstOutcome(continuation)
            Thread {
                _ = nng_close(raw)
                outcome.resume(returning: true)
            }.start()
            Task {
                try? await Task.sleep(for: limit)
                outcome.resume(returning: false)
            }
        }
    }

    /// Sends without waiting (PUB never blocks: it drops when a peer is slow).
    func sendNow(_ bytes: [UInt8]) throws(NNGError) {
        let msg = try NNGMessage.make(bytes)
        let rv = nng_sendmsg(raw, msg, Int32(NNG_FLAG_NONBLOCK))
        if rv != 0 {
            nng_msg_free(msg)
            throw NNGError(rv)
        }
    }

    /// Receives on the socket itself (no context), e.g. for SUB.
    func receive(using io: AsyncIO, timeoutMilliseconds: Int32 = NNG_DURATION_INFINITE, interruptible: Bool = false) async throws(NNGError) -> [UInt8] {
        let rv = await io.perform(timeoutMilliseconds: timeoutMilliseconds, interruptible: interruptible) { nng_recv_aio(raw, $0) }
        try nngCheck(rv)
        return NNGMessage.consume(io.takeMessage()!)
    }
}

/// An nng context: an independent request/reply state machine on a shared
/// socket, so one socket carries many calls in flight.
final class NNGContext: Sendable {
    let raw: nng_ctx
    let io: AsyncIO

    init(on socket: NNGSocket) throws(NNGError) {
        var ctx = nng_ctx()
        try nngCheck(nng_ctx_open(&ctx, socket.raw))
        raw = ctx
        do { io = try AsyncIO() } catch {
            nng_ctx_close(ctx)
            throw error
        }
    }

    deinit { nng_ctx_close(raw) }

    func setDuration(_ option: String, milliseconds: Int32) throws(NNGError) {
        try nngCheck(nng_ctx_set_ms(raw, option, milliseconds))
    }

    /// Sends `bytes` (with `io`, the context's own handle by default).
    func send(_ bytes: [UInt8], timeoutMilliseconds: Int32, using io: AsyncIO? = nil) async throws(NNGError) {
        _ = try await send(bytes, timeoutMilliseconds: timeoutMilliseconds, using: io ?? self.io, thenReceive: nil)
    }

    func receive(timeoutMilliseconds: Int32, interruptible: Bool = false) async throws(NNGError) -> [UInt8] {
        let rv = await io.perform(timeoutMilliseconds: timeoutMilliseconds, interruptible: interruptible) { nng_ctx_recv(raw, $0) }
        try nngCheck(rv)
        return NNGMessage.consume(io.takeMessage()!)
    }

    /// Client: sends a request and receives its reply, both before `deadline`
    /// (`nng_clock()` milliseconds).
    func request(_ bytes: [UInt8], deadline: nng_time) async throws(NNGError) -> [UInt8] {
        let step = AsyncIO.ThenReceive(context: raw, deadline: deadline, evenAfterFailure: false, interruptible: false)
        return try await send(bytes, timeoutMilliseconds: AsyncIO.milliseconds(until: deadline), using: io, thenReceive: step)!
    }

    /// Server: sends a reply, then waits for the next request. The receive
    /// happens even if the reply could not be delivered, and is interruptible.
    func replyThenReceive(_ bytes: [UInt8]) async throws(NNGError) -> [UInt8] {
        let step = AsyncIO.ThenReceive(context: raw, deadline: 0, evenAfterFailure: true, interruptible: true)
        return try await send(bytes, timeoutMilliseconds: 10_000, using: io, thenReceive: step)!
    }

    private func send(_ bytes: [UInt8], timeoutMilliseconds: Int32, using io: AsyncIO,
                      thenReceive: AsyncIO.ThenReceive?) async throws(NNGError) -> [UInt8]? {
        io.setMessage(try NNGMessage.make(bytes))
        let rv = await io.perform(timeoutMilliseconds: timeoutMilliseconds, thenReceive: thenReceive) { nng_ctx_send(raw, $0) }
        guard rv == 0 else {
            // A message still in the handle was never sent and is still ours.
            if let unsent = io.takeMessage() { nng_msg_free(unsent) }
            throw NNGError(rv)
        }
        return thenReceive == nil ? nil : NNGMessage.consume(io.takeMessage()!)
    }
}

/// Resumes a continuation with whichever of several racers finishes first.
final class FirstOutcome<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
