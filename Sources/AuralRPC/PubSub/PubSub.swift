import CNNG
import Logging
import SwiftProtobuf

/// Frames on PUB/SUB are `topic`, a zero byte, then the serialized message.
/// nng's SUB filter matches byte prefixes, so subscribing to "job." receives
/// every job topic and "job.42\0" exactly one topic.
enum TopicFrame {
    static let separator: UInt8 = 0

    static func encode(topic: String, payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](topic.utf8)
        frame.reserveCapacity(frame.count + 1 + payload.count)
        frame.append(separator)
        frame.append(contentsOf: payload)
        return frame
    }

    static func decode(_ frame: [UInt8]) -> (topic: String, payload: ArraySlice<UInt8>)? {
        guard let split = frame.firstIndex(of: separator) else { return nil }
        return (String(decoding: frame[..<split], as: UTF8.self), frame[(split + 1)...])
    }
}

/// Publishes messages under topics. Never blocks: nng drops messages a slow
/// or absent subscriber cannot take, so publish snapshots, not deltas.
public final class Publisher: Sendable {
    private let socket: NNGSocket

    public init(maxMessageBytes: Int = 1 << 20) throws(NNGError) {
        socket = try NNGSocket(.publish, maxReceiveBytes: maxMessageBytes)
    }

    /// Hubs listen (SessionService's events-out) ...
    public func listen(_ url: String) throws(NNGError) { try socket.listen(url) }
    /// ... and replicas dial (workers into events-in).
    public func dial(_ url: String) throws(NNGError) { try socket.dial(url) }

    public func publish(_ message: some SwiftProtobuf.Message, topic: String) throws {
        try socket.sendNow(TopicFrame.encode(topic: topic, payload: message.serializedBytes()))
    }

    /// Forwards an already-encoded frame (a hub relaying what it received).
    public func publish(rawPayload: [UInt8], topic: String) throws(NNGError) {
        try socket.sendNow(TopicFrame.encode(topic: topic, payload: rawPayload))
    }

    public func close() { socket.close() }
}

/// Receives messages whose topic starts with one of the subscribed prefixes.
public final class Subscriber: Sendable {
    public struct Delivery: Sendable {
        public let topic: String
        public let payload: [UInt8]

        public func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
            try M(serializedBytes: payload)
        }
    }

    private let socket: NNGSocket
    private let io: AsyncIO

    public init(maxMessageBytes: Int = 1 << 20) throws(NNGError) {
        socket = try NNGSocket(.subscribe, maxReceiveBytes: maxMessageBytes)
        io = try AsyncIO()
    }

    public func listen(_ url: String) throws(NNGError) { try socket.listen(url) }
    public func dial(_ url: String) throws(NNGError) { try socket.dial(url) }

    /// Subscribes to every topic starting with `prefix` ("" for all).
    public func subscribe(prefix: String) throws(NNGError) {
        try socket.setBytes(NNG_OPT_SUB_SUBSCRIBE, [UInt8](prefix.utf8))
    }

    /// Subscribes to exactly `topic`.
    public func subscribe(topic: String) throws(NNGError) {
        try socket.setBytes(NNG_OPT_SUB_SUBSCRIBE, [UInt8](topic.utf8) + [TopicFrame.separator])
    }

    /// Waits for the next delivery; frames without a topic separator are skipped.
    public func next(timeout: Duration? = nil) async throws(NNGError) -> Delivery {
        let milliseconds = timeout.map { Int32(min(Double(Int32.max), max(1, $0 / .milliseconds(1)))) } ?? NNG_DURATION_INFINITE
        while true {
            let frame = try await socket.receive(using: io, timeoutMilliseconds: milliseconds)
            if let (topic, payload) = TopicFrame.decode(frame) {
                return Delivery(topic: topic, payload: Array(payload))
            }
        }
    }

    /// Deliveries until the task is cancelled or the subscriber closed.
    public var deliveries: AsyncStream<Delivery> {
        AsyncStream { continuation in
            let task = Task {
                while true {
                    guard let delivery = try? await self.next() else { break }
                    continuation.yield(delivery)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func close() { socket.close() }
}
