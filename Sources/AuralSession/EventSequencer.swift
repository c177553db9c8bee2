import AuralStore
import Synchronization

/// Event sequence numbers: increasing across every job and across restarts
/// (they start from the clock, in microsecond steps), so a client resuming
/// with the last id it saw never misses or repeats an event.
public final class EventSequencer: Sendable {
    private let last = Mutex<UInt64>(0)

    public init() {}

    public func next() -> UInt64 {
        last.withLock { last in
            last = max(last + 1, UInt64(UnixTime.nowMilliseconds()) * 1000)
            return last
        }
    }
}
