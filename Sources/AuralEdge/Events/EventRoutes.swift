import AuralServices
import AuralWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Live progress: Server-Sent Events per job, and a WebSocket on which a
/// client subscribes to any number of jobs.
struct EventRoutes: Sendable {
    let gateway: ServiceGateway
    let fanout: JobEventFanout
    let keepAliveInterval: Duration

    func register(on api: RouterGroup<EdgeContext>) {
        api.get("jobs/:job_id/events", use: serverSentEvents)
    }

    /// Replays the stored lifecycle events after `Last-Event-ID`, then streams
    /// live ones until the job ends. Every keep-alive also re-reads stored
    /// events, so a `completed` lost on PUB/SUB still arrives.
    @Sendable func serverSentEvents(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        let requestID = context.requestID
        let job = try await gateway.job(id, requestID: requestID)
        let resumeAfter = request.headers[.lastEventID].flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        // Watch before reading the history, so nothing falls between the two.
        let listener = fanout.makeListener()
        fanout.watch(id, by: listener)
        let history = try await storedEvents(id, after: resumeAfter, requestID: requestID)
        let finished = [.completed, .failed, .cancelled].contains(job.status)
        if finished && history.isEmpty {
            fanout.close(listener)
            // 204 tells an EventSource the stream is over and not to reconnect.
            return Response(status: .noContent)
        }
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no"]
        let gateway = self.gateway, fanout = self.fanout, interval = keepAliveInterval
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    listener.keepAlive()
                }
            }
            defer {
                ticker.cancel()
                fanout.close(listener)
            }
            var position = resumeAfter
            func send(_ payload: EventPayload) async throws -> Bool {
                guard payload.sequence > position else { return false }
                position = payload.sequence
                try await writer.write(ByteBuffer(string: "id: \(payload.sequence)\nevent: \(payload.name)\ndata: \(payload.json())\n\n"))
                return payload.isTerminal
            }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for payload in history where try await send(payload) {
                try await writer.finish(nil)
                return
            }
            for await signal in listener.signals {
                switch signal {
                case .event(let event):
                    if let payload = EventPayload(event), try await send(payload) {
                        try await writer.finish(nil)
                        return
                    }
                case .notice:
                    continue
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    let missed = (try? await Self.storedEvents(gateway, id, after: position, requestID: requestID)) ?? []
                    for payload in missed where try await send(payload) {
                        try await writer.finish(nil)
                        return
                    }
                }
            }
            try await writer.finish(nil)
        })
    }

    private func storedEvents(_ id: String, after sequence: UInt64, requestID: String) async throws -> [EventPayload] {
        try await Self.storedEvents(gateway, id, after: sequence, requestID: requestID)
    }

    private static func storedEvents(_ gateway: ServiceGateway, _ id: String, after sequence: UInt64, requestID: String) async throws -> [EventPayload] {
        try await gateway.call(SessionMethods.listJobEvents, .with {
            $0.jobID = id
            $0.afterSequence = sequence
        }, requestID: requestID).events.compactMap(EventPayload.init)
    }
}
