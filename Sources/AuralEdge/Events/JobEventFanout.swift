import AuralRPC
import AuralServices
import AuralWire
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// One SUB socket per Edge, dialled to SessionService's `events-out`, fanned
/// out to every SSE and WebSocket client watching a job. Each client has a
/// bounded buffer: when it falls behind, its oldest events are dropped, and
/// after `bufferLimit` drops it is disconnected, so a slow client never
/// slows the others. (Clients re-read lifecycle events over request/reply,
/// so a drop costs a progress tick, never a `completed`.)
final class JobEventFanout: Service, Sendable {
    enum Signal: Sendable {
        case event(Aural_V1_JobEvent)
        case keepAlive
        /// A message for this client alone (a WebSocket reply).
        case notice(String)
    }

    /// A client's subscription: the signals to forward and the job ids it watches.
    final class Listener: Sendable {
        let id = UUID()
        let signals: AsyncStream<Signal>
        fileprivate let continuation: AsyncStream<Signal>.Continuation
        fileprivate let dropped = Atomic<Int>(0)

        fileprivate init(bufferLimit: Int) {
            (signals, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        }

        func keepAlive() { continuation.yield(.keepAlive) }
        func notice(_ text: String) { continuation.yield(.notice(text)) }
    }

    private let subscriber: Subscriber
    private let bufferLimit: Int
    private let logger: Logger
    private let watchers = Mutex<[String: [UUID: Listener]]>([:])

    init(eventsOut: String, bufferLimit: Int, logger: Logger) throws {
        subscriber = try Subscriber()
        try subscriber.subscribe(prefix: "job.")
        try subscriber.dial(eventsOut)
        self.bufferLimit = bufferLimit
        self.logger = logger
    }

    func makeListener() -> Listener {
        let listener = Listener(bufferLimit: bufferLimit)
        listener.continuation.onTermination = { [weak self] _ in self?.removeAll(listener.id) }
        return listener
    }

    func watch(_ jobID: String, by listener: Listener) {
        watchers.withLock { $0[jobID, default: [:]][listener.id] = listener }
    }

    func unwatch(_ jobID: String, by listener: Listener) {
        watchers.withLock { watchers in
            watchers[jobID]?[listener.id] = nil
            if watchers[jobID]?.isEmpty == true { watchers[jobID] = nil }
        }
    }

    func close(_ listener: Listener) { listener.continuation.finish() }

    private func removeAll(_ id: UUID) {
        watchers.withLock { watchers in
            for jobID in watchers.keys {
                watchers[jobID]?[id] = nil
                if watchers[jobID]?.isEmpty == true { watchers[jobID] = nil }
            }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await delivery in subscriber.deliveries {
                guard let event = try? delivery.decode(Aural_V1_JobEvent.self) else {
                    logger.warning("dropped an undecodable event", metadata: ["topic": "\(delivery.topic)"])
                    continue
                }
                dispatch(event)
            }
        } onGracefulShutdown: {
            self.subscriber.close()
        }
        // Finishing runs each stream's termination handler, which takes the lock: not under it.
        let remaining = watchers.withLock { Array($0.values.flatMap(\.values)) }
        for listener in remaining { listener.continuation.finish() }
    }

    private func dispatch(_ event: Aural_V1_JobEvent) {
        switch event.kind {
        case .completed: EdgeMetrics.recordJob(status: "completed")
        case .failed: EdgeMetrics.recordJob(status: "failed")
        case .cancelled: EdgeMetrics.recordJob(status: "cancelled")
        default: break
        }
        let listeners = watchers.withLock { Array(($0[event.jobID] ?? [:]).values) }
        for listener in listeners {
            if case .dropped = listener.continuation.yield(.event(event)),
               listener.dropped.wrappingAdd(1, ordering: .relaxed).newValue >= bufferLimit {
                logger.info("disconnecting a client that fell behind", metadata: ["job": "\(event.jobID)"])
                listener.continuation.finish()
            }
        }
    }
}
