import CNNG
import Synchronization

/// A bounded pool of REQ contexts (one per call in flight; nng 1.5 slows down
/// with very large context counts), created on demand.
final class ContextPool: Sendable {
    private struct State {
        var idle: [NNGContext] = []
        var created = 0
        var waiters: [CheckedContinuation<NNGContext, any Error>] = []
        var closed = false
    }

    private let socket: NNGSocket
    private let limit: Int
    private let state = Mutex(State())

    init(socket: NNGSocket, limit: Int) {
        self.socket = socket
        self.limit = max(1, limit)
    }

    func acquire() async throws -> NNGContext {
        enum Outcome { case reuse(NNGContext), create, closed }
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
                // No resends: the periodic timer (60 s by default) would rerun
                // slow calls, and with it off nng 1.5.2 also fails a call whose
                // connection drops (ECONNRESET) instead of resending it.
                // Retrying is the client's decision, per method.
                try context.setDuration(NNG_OPT_REQ_RESENDTIME, milliseconds: NNG_DURATION_INFINITE)
                return context
            } catch {
                state.withLock { $0.created -= 1 }
                throw error
            }
        case nil:
            return try await withCheckedThrowingContinuation { continuation in
                let handedOver: NNGContext? = state.withLock { state in
                    if let context = state.idle.popLast() { return context }
                    state.waiters.append(continuation)
                    return nil
                }
                if let handedOver { continuation.resume(returning: handedOver) }
            }
        }
    }

    func release(_ context: NNGContext) {
        context.io.resetCancellation()
        let waiter = state.withLock { state -> CheckedContinuation<NNGContext, any Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(context)
            return nil
        }
        waiter?.resume(returning: context)
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
