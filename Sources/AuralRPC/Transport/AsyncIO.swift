import CNNG
import Synchronization

/// One nng AIO handle bridged to Swift concurrency. The nng completion
/// callback never blocks (callbacks run on nng's small shared pool): it either
/// resumes the waiting task or, for a chained operation, starts the next step
/// itself — a send followed by a receive costs one hand-over to Swift instead
/// of two. One operation (or chain) at a time per handle.
final class AsyncIO: @unchecked Sendable {
    /// A receive started from the callback once the first step finished.
    struct ThenReceive {
        let context: nng_ctx
        /// `nng_clock()` milliseconds; 0 means no timeout.
        let deadline: nng_time
        /// Receive even when the first step (a reply) failed: a server must
        /// go on serving when one requester has gone away.
        let evenAfterFailure: Bool
        let interruptible: Bool
    }

    private struct State {
        var continuation: CheckedContinuation<Int32, Never>?
        var thenReceive: ThenReceive?
        var cancelled = false
        var interruptible = false
        var interrupted = false

        var mustStop: Bool { cancelled || (interruptible && interrupted) }
    }

    private var aio: OpaquePointer?
    private let state = Mutex(State())

    init() throws(NNGError) {
        var handle: OpaquePointer?
        try nngCheck(nng_aio_alloc(&handle, asyncIOCompletion, Unmanaged.passUnretained(self).toOpaque()))
        aio = handle
    }

    deinit {
        // The last reference can be the completion callback's own (the
        // awaiting task resumed and let go first), and `nng_aio_free` called
        // from inside a callback waits for that callback: a deadlock that
        // also stalls every later close on the socket. The reaper frees it
        // on nng's own thread once the callback has returned.
        nng_aio_reap(aio)
    }

    fileprivate func complete() {
        let result = nng_aio_result(aio)
        enum Next { case resume(CheckedContinuation<Int32, Never>?, Int32), receive(ThenReceive) }
        let next = state.withLock { state -> Next in
            if let step = state.thenReceive {
                state.thenReceive = nil
                if result == 0 || step.evenAfterFailure {
                    state.interruptible = step.interruptible
                    if !state.mustStop { return .receive(step) }
                    defer { state.continuation = nil }
                    return .resume(state.continuation, Int32(NNG_ECANCELED.rawValue))
                }
            }
            defer { state.continuation = nil }
            return .resume(state.continuation, result)
        }
        switch next {
        case .resume(let continuation, let code):
            continuation?.resume(returning: code)
        case .receive(let step):
            if let unsent = takeMessage() { nng_msg_free(unsent) }
            nng_aio_set_timeout(aio, step.deadline == 0 ? NNG_DURATION_INFINITE : Self.milliseconds(until: step.deadline))
            nng_ctx_recv(step.context, aio)
            cancelIfStopped()
        }
    }

    /// Starts an operation with `start(aio)` and waits for it (and the chained
    /// receive, if any) to finish. Returns nng's result code (0 on success).
    /// Task cancellation cancels the operation (`NNG_ECANCELED`). When
    /// `interruptible`, `interrupt()` cancels it too — used to stop idle
    /// receives at shutdown without touching replies.
    func perform(timeoutMilliseconds: Int32, interruptible: Bool = false, thenReceive: ThenReceive? = nil,
                 _ start: (OpaquePointer) -> Void) async -> Int32 {
        nng_aio_set_timeout(aio, timeoutMilliseconds)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let refuse = state.withLock { state -> Bool in
                    state.interruptible = interruptible
                    if state.mustStop { return true }
                    state.continuation = continuation
                    state.thenReceive = thenReceive
                    return false
                }
                if refuse {
                    continuation.resume(returning: Int32(NNG_ECANCELED.rawValue))
                    return
                }
                start(aio!)
                cancelIfStopped()
            }
        } onCancel: {
            state.withLock { $0.cancelled = true }
            nng_aio_cancel(aio)
        }
    }

    /// A cancel that raced with starting an operation found nothing to
    /// cancel; repeat it once the operation is running.
    private func cancelIfStopped() {
        if state.withLock({ $0.mustStop }) { nng_aio_cancel(aio) }
    }

    /// Cancels the current operation if it is interruptible, and every later
    /// interruptible one.
    func interrupt() {
        let cancelNow = state.withLock { state -> Bool in
            state.interrupted = true
            return state.interruptible && state.continuation != nil
        }
        if cancelNow { nng_aio_cancel(aio) }
    }

    /// Cancels whatever operation is running (used when a connection drops).
    func cancelCurrent() { nng_aio_cancel(aio) }

    /// Clears the one-shot task-cancellation flag before another task reuses the handle.
    func resetCancellation() { state.withLock { $0.cancelled = false } }

    /// Takes the message out of the handle (a received one, or an unsent one after a failed send).
    func takeMessage() -> OpaquePointer? {
        let msg = nng_aio_get_msg(aio)
        nng_aio_set_msg(aio, nil)
        return msg
    }

    func setMessage(_ msg: OpaquePointer) { nng_aio_set_msg(aio, msg) }

    static func milliseconds(until deadline: nng_time) -> Int32 {
        let now = nng_clock()
        return deadline > now ? Int32(clamping: deadline - now) : 1
    }
}

private func asyncIOCompletion(_ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AsyncIO>.fromOpaque(arg!).takeUnretainedValue().complete()
}
