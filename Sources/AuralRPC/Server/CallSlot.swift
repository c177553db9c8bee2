import CNNG
import Synchronization

/// One server context and the call it is serving, shared by its worker and
/// the deadline watchdog. Whoever claims the call first sends its reply.
final class CallSlot: Sendable {
    let context: NNGContext
    /// `nng_clock()` milliseconds at which the current call expires.
    private let deadline = Atomic<UInt64>(0)
    private let timeout = Atomic<UInt64>(0)
    /// Odd while a call runs with its reply unclaimed; even otherwise.
    private let claim = Atomic<UInt64>(0)

    init(context: NNGContext) { self.context = context }

    struct Ticket { fileprivate let running: UInt64 }

    func begin(deadline: UInt64, timeoutMilliseconds: UInt64) -> Ticket {
        self.deadline.store(deadline, ordering: .relaxed)
        timeout.store(timeoutMilliseconds, ordering: .relaxed)
        let running = claim.load(ordering: .relaxed) + 1
        claim.store(running, ordering: .releasing)
        return Ticket(running: running)
    }

    /// True when the worker still owns the reply.
    func finish(_ ticket: Ticket) -> Bool {
        claim.compareExchange(expected: ticket.running, desired: ticket.running + 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// Claims the reply of a call past its deadline; returns its timeout in ms.
    func claimIfExpired(now: UInt64) -> UInt64? {
        let running = claim.load(ordering: .acquiring)
        guard running & 1 == 1, now >= deadline.load(ordering: .relaxed) else { return nil }
        // Fails if the call finished, or another began, since the load.
        guard claim.compareExchange(expected: running, desired: running + 1, ordering: .acquiringAndReleasing).exchanged else {
            return nil
        }
        return timeout.load(ordering: .relaxed)
    }
}
