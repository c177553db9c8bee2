import AsyncHTTPClient
import AuralTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Similarity sessions through the running Edge and SessionService.
extension EdgeProcessTests {
    @Suite struct SimilaritySessionAPITests {
        static func json(_ object: [String: Any]) throws -> HTTPClientRequest.Body {
            .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: object)))
        }
        static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]

        @Test(.timeLimit(.minutes(3))) func createUploadReplaceAndDelete() async throws {
            try await EdgeStack.with(edgeEnvironment: ["AURAL_MAX_UPLOAD_MB": "1"], worker: false) { stack in
                let created = try await stack.send(.POST, "/api/v1/sessions", headers: Self.jsonHeaders,
                                                   body: try Self.json(["reference_text": "The birch canoe slid on the smooth planks.",
                                                                        "metadata": ["student": "42"]]))
                #expect(created.status == .created)
                let session = try created.json()
                let id = try #require(session["session_id"] as? String)
                #expect(created.headers.first(name: "Location") == "/api/v1/sessions/\(id)")
                #expect(session["reference_text"] as? String == "The birch canoe slid on the smooth planks.")
                #expect(session["metadata"] as? [String: String] == ["student": "42"])
                #expect(session["audio"] is NSNull)

                // Base64 JSON, then a raw body replacing it: one recording on disk at a time.
                let audio = try TestAudio.wav(seconds: 1)
                let withBase64 = try await stack.send(.PUT, "/api/v1/sessions/\(id)/audio", headers: Self.jsonHeaders,
                                                      body: try Self.json(["audio_base64": audio.base64EncodedString(), "format": "wav"]))
                #expect(withBase64.status == .ok, "\(String(decoding: withBase64.body, as: UTF8.self))")
                let described = try #require(try withBase64.json()["audio"] as? [String: Any])
                #expect(described["format"] as? String == "wav")
                #expect(abs((described["duration"] as? Double ?? 0) - 1) < 0.01)
                #expect(described["size"] as? Int == audio.count)
                #expect(stack.storedFiles(under: "sessions/\(id)").count == 1)

                let raw = try await stack.send(.PUT, "/api/v1/sessions/\(id)/audio", headers: ["Content-Type": "audio/wav"],
                                               body: .bytes(ByteBuffer(data: audio)))
                #expect(raw.status == .ok)
                #expect(stack.storedFiles(under: "sessions/\(id)").count == 1)
                #expect(try await stack.get("/api/v1/sessions/\(id)").json()["audio"] is [String: Any])

                #expect(try await stack.send(.DELETE, "/api/v1/sessions/\(id)").status == .noContent)
                try await stack.get("/api/v1/sessions/\(id)").expectError(.notFound, "not_found")
                #expect(stack.storedFiles(under: "sessions").isEmpty)
                #expect(stack.storedFiles(under: "uploads").isEmpty)
            }
        }

        @Test(.timeLimit(.minutes(3))) func badSessionRequestsGetTheirStatusAndLeaveNothingBehind() async throws {
            try await EdgeStack.with(edgeEnvironment: ["AURAL_MAX_UPLOAD_MB": "1"], worker: false) { stack in
                try await stack.send(.POST, "/api/v1/sessions", headers: Self.jsonHeaders, body: try Self.json(["text": "no"]))
                    .expectError(.badRequest, "bad_request")
                try await stack.send(.POST, "/api/v1/sessions", headers: Self.jsonHeaders, body: try Self.json(["reference_text": "  "]))
                    .expectError(.badRequest, "bad_request")
                let unknown = UUID().uuidString.lowercased()
                try await stack.get("/api/v1/sessions/\(unknown)").expectError(.notFound, "not_found")
                try await stack.get("/api/v1/sessions/not-a-uuid").expectError(.badRequest, "bad_request")
                try await stack.send(.PUT, "/api/v1/sessions/\(unknown)/audio", headers: Self.jsonHeaders,
                                     body: try Self.json(["audio_base64": "UklGRg=="])).expectError(.notFound, "not_found")

                let id = try #require(try await stack.send(.POST, "/api/v1/sessions", headers: Self.jsonHeaders,
                                                           body: try Self.json(["reference_text": "Hello."])).json()["session_id"] as? String)
                func put(_ body: [String: Any]) async throws -> EdgeStack.Reply {
                    try await stack.send(.PUT, "/api/v1/sessions/\(id)/audio", headers: Self.jsonHeaders, body: try Self.json(body))
                }
                try await put(["audio_base64": "this is *not* base64!"]).expectError(HTTPResponseStatus(statusCode: 422), "invalid_base64")
                try await put(["audio_base64": Data("plain words, not audio at all".utf8).base64EncodedString()])
                    .expectError(.unsupportedMediaType, "unsupported_media_type")
                let audio = try TestAudio.wav(seconds: 1)
                try await put(["audio_base64": audio.prefix(audio.count / 2).base64EncodedString()])
                    .expectError(HTTPResponseStatus(statusCode: 422), "unprocessable_audio")
                var big = audio
                while big.count < 2 << 20 { big += audio }
                try await put(["audio_base64": big.base64EncodedString()]).expectError(.payloadTooLarge, "payload_too_large")
                try await put(["file": "x"]).expectError(.badRequest, "bad_request")
                try await stack.send(.PUT, "/api/v1/sessions/\(id)/audio", headers: ["Content-Type": "text/plain"],
                                     body: .bytes(ByteBuffer(string: "hi"))).expectError(.unsupportedMediaType, "unsupported_media_type")

                // Nothing stuck to the session or the disk.
                #expect(try await stack.get("/api/v1/sessions/\(id)").json()["audio"] is NSNull)
                #expect(stack.storedFiles(under: "uploads").isEmpty)
                #expect(stack.storedFiles(under: "sessions").isEmpty)
            }
        }
    }
}
