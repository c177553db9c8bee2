import AuralTestSupport
import Foundation
import HummingbirdWSClient
import NIOCore
import Synchronization
import Testing

extension EdgeProcessTests {
    @Suite struct WebSocketTests {
        /// A client subscribes to a job over the WebSocket, gets its status at
        /// once and its lifecycle events as they happen; a malformed command
        /// gets an error frame and the connection stays usable.
        @Test(.timeLimit(.minutes(3))) func subscribeToAJobAndFollowItToCompletion() async throws {
            try await EdgeStack.with { stack in
                let upload = try await stack.uploadRaw(try TestAudio.wav(seconds: 1), filename: "ws.wav")
                let id = try #require(try upload.json()["job_id"] as? String)
                let received = Mutex<[String]>([])
                let url = stack.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws"
                try await WebSocketClient.connect(url: url, logger: testLogger) { inbound, outbound, _ in
                    try await outbound.write(.text("{not json"))
                    try await outbound.write(.text(#"{"action":"subscribe","job_id":"\#(id)"}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        received.withLock { $0.append(text) }
                        let frame = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                        if ["completed", "failed", "cancelled"].contains(frame?["event"] as? String) { break }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                let frames = try received.withLock { $0 }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                let events = frames.compactMap { $0["event"] as? String }
                #expect(events.first == "error", "\(events)")
                #expect(events.contains("subscribed"), "\(events)")
                #expect(events.last == "completed", "\(events)")
                let subscribed = frames.first { $0["event"] as? String == "subscribed" }?["data"] as? [String: Any]
                #expect(subscribed?["job_id"] as? String == id)
            }
        }

        @Test(.timeLimit(.minutes(3))) func webSocketNeedsAnAPIKeyWhenKeysAreOn() async throws {
            try await EdgeStack.with(edgeEnvironment: ["AURAL_API_KEYS": "secret"], worker: false) { stack in
                let refused = try await stack.get("/api/v1/ws")
                #expect(refused.status == .unauthorized)
                let plain = try await stack.get("/api/v1/ws", headers: ["X-API-Key": "secret"])
                #expect(plain.status == .badRequest, "a GET without Upgrade is told to upgrade")
                let url = stack.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws?api_key=secret"
                let connected = Mutex(false)
                try await WebSocketClient.connect(url: url, logger: testLogger) { _, outbound, _ in
                    connected.withLock { $0 = true }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                #expect(connected.withLock { $0 })
            }
        }
    }
}
