import Synchronization

/// Remembers the replies to recent mutating calls by idempotency key, so a
/// request that arrives twice (nng's REQ resends it when a connection drops,
/// or a caller retries) runs once. A duplicate that arrives while the first
/// is still running waits for its reply.
final class IdempotencyCache: Sendable {
    private enum Entry {
        case running(waiters: [CheckedContinuation<[UInt8]?, Never>])
        case done([UInt8])
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var completionOrder: [String] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    enum Claim {
        /// The caller runs the call and must `finish` the key.
        case owner
        /// A reply already exists (or the first run produced one meanwhile).
        case replay([UInt8])
    }

    func claim(_ key: String) async -> Claim {
        enum Immediate { case owner, replay([UInt8]), wait }
        // `nil` from a waiter means the first run failed transiently: try again.
        while true {
            var immediate = Immediate.owner
            let reply: [UInt8]? = await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    switch state.entries[key] {
                    case nil:
                        state.entries[key] = .running(waiters: [])
                        immediate = .owner
                        return true
                    case .done(let bytes):
                        immediate = .replay(bytes)
                        return true
                    case .running(var waiters):
                        waiters.append(continuation)
                        state.entries[key] = .running(waiters: waiters)
                        immediate = .wait
                        return false
                    }
                }
                if resumeNow { continuation.resume(returning: nil) }
            }
            switch immediate {
            case .owner: return .owner
            case .replay(let bytes): return .replay(bytes)
            case .wait: if let reply { return .replay(reply) }
            }
        }
    }

    /// Records the reply of the owner's run. `cacheable == false` (a transient
    /// failure such as a missed deadline) forgets the key so a retry runs again.
    func finish(_ key: String, reply: [UInt8], cacheable: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<[UInt8]?, Never>] in
            guard case .running(let waiters) = state.entries[key] else { return [] }
            if cacheable {
                state.entries[key] = .done(reply)
                state.completionOrder.append(key)
                if state.completionOrder.count > capacity {
                    let excess = state.completionOrder.count - capacity
                    for old in state.completionOrder.prefix(excess) { state.entries[old] = nil }
                    state.completionOrder.removeFirst(excess)
                }
            } else {
                state.entries[key] = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: cacheable ? reply : nil) }
    }
}
