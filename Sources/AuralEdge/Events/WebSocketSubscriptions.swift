import AuralServices
import AuralWire
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging

/// `/api/v1/ws`: a client sends `{"action":"subscribe","job_id":…}` (or
/// `unsubscribe`) and receives `{"event":"subscribed","data":status}` and
/// then `{"event":"progress"|"stage"|"completed"|"failed"|"cancelled","data":…}`
/// for every job it watches; a job that has already ended gets its terminal
/// event right after `subscribed`. One writer task owns the socket's outbound side.
struct WebSocketSubscriptions: Sendable {
    static let path = "/api/v1/ws"

    let gateway: ServiceGateway
    let fanout: JobEventFanout
    let apiKeys: Set<String>

    private struct Command: Decodable {
        let action: String
        let job_id: String
    }

    /// Upgrades only `/api/v1/ws` with a valid key (header, or `?api_key=` for
    /// browsers, which cannot set headers on a WebSocket); anything else falls
    /// through to the HTTP router, which explains the refusal.
    func shouldUpgrade(_ request: HTTPRequest) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let path = request.path, path.split(separator: "?").first.map(String.init) == Self.path else { return .dontUpgrade }
        guard authorized(request) else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, context in
            try await serve(inbound: inbound, outbound: outbound, logger: context.logger)
        }
    }

    func authorized(_ request: HTTPRequest) -> Bool {
        guard !apiKeys.isEmpty else { return true }
        if let key = APIKeyMiddleware.presentedKey(request.headerFields), apiKeys.contains(key) { return true }
        let query = URLComponents(string: request.path ?? "")?.queryItems ?? []
        return query.contains { $0.name == "api_key" && apiKeys.contains($0.value ?? "") }
    }

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        let listener = fanout.makeListener()
        let reader = Task {
            defer { fanout.close(listener) }
            for try await message in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = message,
                      let command = try? JSONDecoder().decode(Command.self, from: Data(text.utf8)),
                      let uuid = UUID(uuidString: command.job_id)
                else {
                    listener.notice(Self.frame("error", ["code": "bad_request", "message": "send {\"action\":\"subscribe\",\"job_id\":UUID}"]))
                    continue
                }
                let id = uuid.uuidString.lowercased()
                switch command.action {
                case "subscribe":
                    do {
                        fanout.watch(id, by: listener)
                        let requestID = UUID().uuidString.lowercased()
                        let job = try await gateway.job(id, requestID: requestID)
                        listener.notice(Self.frame("subscribed", JobStatusBody(job)))
                        // A job that ended before the subscription still tells how it ended
                        // (events carry sequence numbers, so a repeat is recognisable).
                        if [.completed, .failed, .cancelled].contains(job.status),
                           let last = try await gateway.call(SessionMethods.listJobEvents, .with { $0.jobID = id }, requestID: requestID)
                               .events.compactMap(EventPayload.init).last(where: \.isTerminal) {
                            listener.notice(Self.frame(last.name, last))
                        }
                    } catch {
                        fanout.unwatch(id, by: listener)
                        let apiError = APIError.from(error)
                        listener.notice(Self.frame("error", ["code": apiError.code, "message": apiError.message]))
                    }
                case "unsubscribe":
                    fanout.unwatch(id, by: listener)
                    listener.notice(Self.frame("unsubscribed", ["job_id": id]))
                default:
                    listener.notice(Self.frame("error", ["code": "bad_request", "message": "action must be subscribe or unsubscribe"]))
                }
            }
        }
        defer { reader.cancel() }
        for await signal in listener.signals {
            switch signal {
            case .event(let event):
                if let payload = EventPayload(event) { try await outbound.write(.text(Self.frame(payload.name, payload))) }
            case .notice(let text):
                try await outbound.write(.text(text))
            case .keepAlive:
                continue
            }
        }
    }

    private static func frame<Payload: Encodable>(_ event: String, _ data: Payload) -> String {
        (try? String(decoding: JSONEncoder().encode(WebSocketFrame(event: event, data: data)), as: UTF8.self)) ?? "{}"
    }
}

private struct WebSocketFrame<Payload: Encodable>: Encodable {
    let event: String
    let data: Payload
}
