import CNNG
import Synchronization

/// A client-side context: one call in flight at a time.
final class ClientContext: Sendable {
    let context: NNGContext
    /// Set when the connection carrying a mutating call dropped, so the
    /// cancelled receive is reported as UNAVAILABLE rather than CANCELLED.
    let connectionLost = Atomic<Bool>(false)

    init(context: NNGContext) { self.context = context }
}

/// A bounded pool of REQ contexts (one per call in flight; nng 1.5 slows down
/// with very large context counts), created on demand. Also tracks which
/// contexts carry mutating calls so they can be failed fast when a
/// connection drops instead of being resent by nng.
final class ContextPool: Sendable {
    private struct State {
        var idle: [ClientContext] = []
        var created = 0
        var waiters: [CheckedContinuation<ClientContext, any Error>] = []
        var mutating: [ObjectIdentifier: ClientContext] = [:]
        var closed = false
    }

    private let socket: NNGSocket
    private let limit: Int
    private let state = Mutex(State())

    init(socket: NNGSocket, limit: Int) {
        self.socket = socket
        self.limit = max(1, limit)
    }

    func acquire() async throws -> ClientContext {
        enum Outcome { case reuse(ClientContext), create, closed }
        let outcome = state.withLock { state -> Outcome? in
            if state.closed { return .closed }
            if let context = state.idle.popLast() { return .reuse(context) }
            if state.created < limit {
                state.created += 1
                return .create
            }
            return nil
        }
        switch outcome {
        case .reuse(let context)?: return context
        case .closed?: throw NNGError.closed
        case .create?:
            do {
                let context = try NNGContext(on: socket)
                // Resends are left to nng's resend-on-disconnect only; the
                // periodic timer (60 s by default) would rerun slow calls.
                try context.setDuration(NNG_OPT_REQ_RESENDTIME, milliseconds: NNG_DURATION_INFINITE)
                return ClientContext(context: context)
            } catch {
                state.withLock { $0.created -= 1 }
                throw error
            }
        case nil:
            return try await withCheckedThrowingContinuation { continuation in
                let handedOver: ClientContext? = state.withLock { state in
                    if let context = state.idle.popLast() { return context }
                    state.waiters.append(continuation)
                    return nil
                }
                if let handedOver { continuation.resume(returning: handedOver) }
            }
        }
    }

    func release(_ context: ClientContext) {
        context.connectionLost.store(false, ordering: .relaxed)
        context.context.io.resetCancellation()
        let waiter = state.withLock { state -> CheckedContinuation<ClientContext, any Error>? in
            state.mutating[ObjectIdentifier(context)] = nil
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(context)
            return nil
        }
        waiter?.resume(returning: context)
    }

    func markMutating(_ context: ClientContext) {
        state.withLock { $0.mutating[ObjectIdentifier(context)] = context }
    }

    /// A connection dropped: fail the mutating calls in flight rather than let
    /// nng resend them to the next connection (they may already have run).
    func connectionDropped() {
        // Under the lock so a context cannot be released and reused by
        // another call between being listed and being cancelled. Cancelling
        // only schedules nng's completion callback; it never re-enters here.
        state.withLock { state in
            for context in state.mutating.values {
                context.connectionLost.store(true, ordering: .relaxed)
                context.context.io.cancelCurrent()
            }
        }
    }

    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: NNGError.closed) }
    }
}
