import Foundation
import Synchronization

/// Runs CPU-bound or blocking work (DSP, file decoding) on threads of its
/// own, at most `width` at a time, so it never occupies Swift's cooperative
/// pool — which has one thread per core and also serves every RPC.
public final class BlockingWorkPool: Sendable {
    public let width: Int
    private let state: Mutex<(running: Int, waiting: [CheckedContinuation<Void, Never>])>

    public init(width: Int) {
        self.width = max(1, width)
        state = Mutex((0, []))
    }

    /// Default width: one per core (`AURAL_*_CONCURRENCY` overrides it in services).
    public static var defaultWidth: Int { ProcessInfo.processInfo.activeProcessorCount }

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await runOnOwnThread(work)
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.running < width {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()  // the slot passes straight on
        }
        next?.resume()
    }
}

/// Runs `work` on a new thread and waits for it without occupying a thread
/// of Swift's cooperative pool (blocking reads, waiting on processes, DSP).
public func runOnOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
