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

extension EdgeProcessTests.SimilaritySessionAPITests {
    /// The whole similarity flow: a recording of the reference sentence scores
    /// above the same recording held against an unrelated sentence.
    @Test(.timeLimit(.minutes(3))) func spokenReferenceScoresAboveAnUnrelatedText() async throws {
        guard try TestModel.installed() else { return }
        try await EdgeStack.with(worker: false) { stack in
            try stack.startWorkers()
            try await stack.startEmbeddingService()
            let reference = "please open the door and close the window"
            let recording = try Data(contentsOf: TestSpeech.synthesize(reference, in: URL(fileURLWithPath: try temporaryDirectory("speech"))))
            func session(_ text: String) async throws -> String {
                let id = try #require(try await stack.send(.POST, "/api/v1/sessions", headers: Self.jsonHeaders,
                                                           body: try Self.json(["reference_text": text])).json()["session_id"] as? String)
                try await stack.post(similarityFor: id).expectError(.conflict, "conflict")  // no audio yet
                let put = try await stack.send(.PUT, "/api/v1/sessions/\(id)/audio", headers: Self.jsonHeaders,
                                               body: try Self.json(["audio_base64": recording.base64EncodedString(), "format": "wav"]))
                #expect(put.status == .ok)
                return id
            }
            let matching = try await session(reference)
            let unrelated = try await session("interest rates rose sharply in the third quarter")

            let close = try await stack.post(similarityFor: matching)
            #expect(close.status == .ok, "\(String(decoding: close.body, as: UTF8.self))")
            let closeBody = try close.json()
            #expect((closeBody["transcript"] as? String)?.isEmpty == false)
            #expect(closeBody["reference_text"] as? String == reference && closeBody["model"] as? String == "all-MiniLM-L6-v2")
            let timings = try #require(closeBody["timings_ms"] as? [String: Int])
            #expect((timings["total"] ?? -1) >= (timings["transcription"] ?? 0) + (timings["embedding"] ?? 0) - 1)
            let far = try await stack.post(similarityFor: unrelated).json()
            let closeScore = try #require(closeBody["score"] as? Double), farScore = try #require(far["score"] as? Double)
            #expect(closeScore > farScore + 20, "\(closeBody) vs \(far)")

            // The result is kept on the session.
            let stored = try #require(try await stack.get("/api/v1/sessions/\(matching)").json()["similarity"] as? [String: Any])
            #expect(stored["score"] as? Double == closeScore)
            try await stack.post(similarityFor: UUID().uuidString).expectError(.notFound, "not_found")
        }
    }
}

extension EdgeStack {
    func post(similarityFor sessionID: String) async throws -> Reply {
        try await send(.POST, "/api/v1/similarity/\(sessionID)")
    }
}
