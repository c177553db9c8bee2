import CNNG
import Synchronization

/// One nng AIO handle bridged to Swift concurrency. The nng completion
/// callback only resumes the waiting continuation (callbacks run on nng's
/// small shared pool and must never block), so no thread is held per
/// operation. One operation at a time per handle.
final class AsyncIO: @unchecked Sendable {
    private struct State {
        var continuation: CheckedContinuation<Int32, Never>?
        var cancelled = false
        var interruptible = false
        var interrupted = false
    }

    private var aio: OpaquePointer?
    private let state = Mutex(State())

    init() throws(NNGError) {
        var handle: OpaquePointer?
        let rv = nng_aio_alloc(&handle, asyncIOCompletion, Unmanaged.passUnretained(self).toOpaque())
        try nngCheck(rv)
        aio = handle
    }

    deinit {
        // Waits for a callback in progress; never reached from a callback
        // because the awaiting task holds the last strong reference.
        nng_aio_free(aio)
    }

    fileprivate func complete() {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: nng_aio_result(aio))
    }

    /// Starts an operation with `start(aio)` and waits for it to finish.
    /// Returns nng's result code (0 on success). Task cancellation cancels the
    /// operation (`NNG_ECANCELED`). When `interruptible`, `interrupt()` cancels
    /// it too — used to stop idle receives at shutdown without touching replies.
    func perform(timeoutMilliseconds: Int32, interruptible: Bool = false, _ start: (OpaquePointer) -> Void) async -> Int32 {
        nng_aio_set_timeout(aio, timeoutMilliseconds)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let refuse = state.withLock { state -> Bool in
                    if state.cancelled || (interruptible && state.interrupted) { return true }
                    state.continuation = continuation
                    state.interruptible = interruptible
                    return false
                }
                if refuse {
                    continuation.resume(returning: Int32(NNG_ECANCELED.rawValue))
                    return
                }
                start(aio!)
                // A cancel that raced with `start` found nothing to cancel; repeat it.
                let cancelNow = state.withLock { $0.cancelled || ($0.interruptible && $0.interrupted) }
                if cancelNow { nng_aio_cancel(aio) }
            }
        } onCancel: {
            state.withLock { $0.cancelled = true }
            nng_aio_cancel(aio)
        }
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

    /// Resets the one-shot task-cancellation flag before the handle is reused
    /// by another task.
    func resetCancellation() { state.withLock { $0.cancelled = false } }

    var handle: OpaquePointer { aio! }

    /// Takes the received message out of the handle.
    func takeMessage() -> OpaquePointer? {
        let msg = nng_aio_get_msg(aio)
        nng_aio_set_msg(aio, nil)
        return msg
    }

    func setMessage(_ msg: OpaquePointer) { nng_aio_set_msg(aio, msg) }
}

private func asyncIOCompletion(_ arg: UnsafeMutableRawPointer?) {
    Unmanaged<AsyncIO>.fromOpaque(arg!).takeUnretainedValue().complete()
}
