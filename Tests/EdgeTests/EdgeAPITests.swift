import AsyncHTTPClient
import AuralTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The public API against real processes: uploads, progress, downloads, deletion.
extension EdgeProcessTests {
    @Suite struct EdgeAPITests {
        @Test(.timeLimit(.minutes(3))) func uploadFollowDownloadAndDelete() async throws {
            // Workers start once the event stream is open, so it sees the job from its first event.
            try await EdgeStack.with(worker: false) { stack in
                let upload = try await stack.uploadMultipart(try TestAudio.wav(seconds: 2), filename: "song.wav", headers: ["X-Request-ID": "client-id-1"])
                #expect(upload.status == .accepted)
                #expect(upload.headers.first(name: "X-Request-ID") == "client-id-1")
                let job = try upload.json()
                let id = try #require(job["job_id"] as? String)
                #expect(upload.headers.first(name: "Location") == "/api/v1/jobs/\(id)")
                #expect(job["input_filename"] as? String == "song.wav")
                #expect(job["status"] as? String == "queued")
                #expect((job["audio"] as? [String: Any])?["channels"] as? Int == 2)
                #expect(job.keys.contains("eta_seconds") && job.keys.contains("completed_at"))

                let events = try await stack.serverSentEvents(id, onOpen: { try stack.startWorkers() })
                let status = try await stack.waitUntilFinished(id)
                #expect(status["status"] as? String == "completed", "\(status)")
                #expect(status["progress"] as? Int == 100)

                // SSE: from the first stage change to `completed`, with increasing ids.
                let names = events.map(\.name)
                #expect(names.first == "stage" || names.first == "progress", "\(names)")
                #expect(names.last == "completed", "\(names)")
                #expect(names.contains("progress"), "\(names)")
                #expect(events.map(\.id) == events.map(\.id).sorted() && Set(events.map(\.id)).count == events.count)

                // Resuming after the last event: nothing more, and 204 says do not reconnect.
                let resumed = try await stack.get("/api/v1/jobs/\(id)/events", headers: ["Last-Event-ID": String(events.last!.id)])
                #expect(resumed.status == .noContent)
                // Resuming from the start replays the stored lifecycle events.
                let replay = try await stack.serverSentEvents(id, lastEventID: 0)
                #expect(replay.last?.name == "completed")

                let results = try await stack.get("/api/v1/jobs/\(id)/results").json()
                let stems = try #require((results["results"] as? [String: Any])?["stems"] as? [String: String])
                #expect(Set(stems.keys) == ["vocals", "drums", "bass", "other", "instrumental"])
                for (name, url) in stems {
                    let whole = try await stack.get(url)
                    #expect(whole.status == .ok)
                    #expect(whole.headers.first(name: "Content-Type") == "audio/mpeg")
                    #expect(whole.headers.first(name: "Content-Length") == String(whole.body.count))
                    #expect(whole.headers.first(name: "Accept-Ranges") == "bytes")
                    #expect(whole.body.count > 1000, "\(name) is \(whole.body.count) bytes")
                    let size = whole.body.count

                    let head = try await stack.get(url, headers: ["Range": "bytes=0-99"])
                    #expect(head.status == .partialContent)
                    #expect(head.body == whole.body.prefix(100))
                    #expect(head.headers.first(name: "Content-Range") == "bytes 0-99/\(size)")
                    let tail = try await stack.get(url, headers: ["Range": "bytes=-10"])
                    #expect(tail.status == .partialContent)
                    #expect(tail.body == whole.body.suffix(10))
                    #expect(tail.headers.first(name: "Content-Range") == "bytes \(size - 10)-\(size - 1)/\(size)")
                    let rest = try await stack.get(url, headers: ["Range": "bytes=\(size - 5)-"])
                    #expect(rest.body == whole.body.suffix(5))
                    let beyond = try await stack.get(url, headers: ["Range": "bytes=\(size)-"])
                    #expect(beyond.status == .rangeNotSatisfiable)
                    #expect(beyond.headers.first(name: "Content-Range") == "bytes */\(size)")
                    let etag = try #require(whole.headers.first(name: "ETag"))
                    #expect(try await stack.get(url, headers: ["If-None-Match": etag]).status == .notModified)
                }
                // The melody stage ran on the vocals stem: frames JSON of the upload's length.
                let framesURL = try #require((results["results"] as? [String: Any])?["processed_frames"] as? String)
                let frames = try await stack.get(framesURL).json()
                #expect(frames["schema"] as? String == "aural.frames/1")
                #expect(abs((frames["duration"] as? Double ?? 0) - 2) < 0.05)
                #expect((frames["frames"] as? [Any])?.count ?? 0 >= 190)
                // The chord stage ran on the mix: chords JSON with at least one segment.
                let chordsURL = try #require((results["results"] as? [String: Any])?["chords"] as? String)
                let chords = try await stack.get(chordsURL).json()
                #expect(chords["schema"] as? String == "aural.chords/1")
                #expect(!((chords["chords"] as? [Any]) ?? []).isEmpty)

                let wav = try await stack.get("/api/v1/jobs/\(id)/stems/vocals?format=wav")
                #expect(wav.status == .ok && wav.headers.first(name: "Content-Type") == "audio/wav")
                #expect(wav.body.prefix(4) == Data("RIFF".utf8))
                let flac = try await stack.get("/api/v1/jobs/\(id)/stems/bass?format=flac")
                #expect(flac.body.prefix(4) == Data("fLaC".utf8))
                #expect(try await stack.get("/api/v1/jobs/\(id)/stems/vocals?format=aiff").status == .badRequest)
                let unknownStem = try await stack.get("/api/v1/jobs/\(id)/stems/guitar")
                #expect(unknownStem.status == .notFound)
                #expect(try unknownStem.errorCode() == "not_found")

                #expect(!stack.storedFiles(under: "jobs/\(id)").isEmpty)
                let deleted = try await stack.send(.DELETE, "/api/v1/jobs/\(id)")
                #expect(deleted.status == .noContent)
                #expect(try await stack.get("/api/v1/jobs/\(id)").status == .notFound)
                #expect(try await stack.get("/api/v1/jobs/\(id)/stems/vocals").status == .notFound)
                #expect(stack.storedFiles(under: "jobs/\(id)").isEmpty)
                #expect(stack.storedFiles(under: "uploads").isEmpty)
            }
        }

        @Test(.timeLimit(.minutes(3))) func rawUploadListingAndCancel() async throws {
            try await EdgeStack.with(worker: false) { stack in
                let audio = try TestAudio.wav(seconds: 1)
                let first = try await stack.uploadRaw(audio, filename: "../../first take.wav")
                #expect(first.status == .accepted)
                #expect(try first.json()["input_filename"] as? String == "first take.wav")
                let second = try await stack.uploadRaw(audio, filename: "second.wav")
                let secondID = try #require(try second.json()["job_id"] as? String)

                let page = try await stack.get("/api/v1/jobs?limit=1").json()
                let jobs = try #require(page["jobs"] as? [[String: Any]])
                #expect(jobs.count == 1 && jobs[0]["job_id"] as? String == secondID, "newest first")
                let cursor = try #require(page["next_cursor"] as? String)
                let next = try await stack.get("/api/v1/jobs?limit=1&cursor=\(cursor)").json()
                #expect((next["jobs"] as? [[String: Any]])?.first?["input_filename"] as? String == "first take.wav")
                #expect(try await stack.get("/api/v1/jobs?limit=0").status == .badRequest)
                #expect(try await stack.get("/api/v1/jobs?status=sleeping").status == .badRequest)

                // Results exist only once a job has completed; no worker runs here.
                let unfinished = try await stack.get("/api/v1/jobs/\(secondID)/results")
                #expect(unfinished.status == .conflict)
                #expect(try unfinished.errorCode() == "conflict")
                #expect(try await stack.get("/api/v1/jobs/\(secondID)/stems/vocals").status == .conflict)
                #expect(try await stack.get("/api/v1/jobs/\(secondID)/frames").status == .conflict)
                let cancelled = try await stack.send(.POST, "/api/v1/jobs/\(secondID)/cancel")
                #expect(cancelled.status == .ok)
                #expect(try cancelled.json()["status"] as? String == "cancelled")
                let queued = try await stack.get("/api/v1/jobs?status=cancelled").json()
                #expect((queued["jobs"] as? [[String: Any]])?.map { $0["job_id"] as? String } == [secondID])
            }
        }

        @Test(.timeLimit(.minutes(3))) func badRequestsGetTheirStatusAndLeaveNothingBehind() async throws {
            try await EdgeStack.with(edgeEnvironment: ["AURAL_MAX_UPLOAD_MB": "1"], worker: false) { stack in
                let audio = try TestAudio.wav(seconds: 1)
                func expect(_ reply: EdgeStack.Reply, _ status: HTTPResponseStatus, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
                    try reply.expectError(status, code, sourceLocation: sourceLocation)
                }
                try expect(try await stack.uploadRaw(Data(), filename: "empty.wav"), .badRequest, "bad_request")
                try expect(try await stack.uploadMultipart(Data("just some text, not audio\n".utf8), filename: "notes.mp3"),
                           .unsupportedMediaType, "unsupported_media_type")
                try expect(try await stack.uploadRaw(audio.prefix(audio.count / 2), filename: "cut.wav"), HTTPResponseStatus(statusCode: 422), "unprocessable_audio")
                try expect(try await stack.send(.POST, "/api/v1/transcribe", headers: ["Content-Type": "text/plain"],
                                                body: .bytes(ByteBuffer(string: "hello"))), .unsupportedMediaType, "unsupported_media_type")
                try expect(try await stack.send(.POST, "/api/v1/transcribe", headers: ["Content-Type": "multipart/form-data; boundary=x"],
                                                body: .bytes(ByteBuffer(string: "--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n"))),
                           .badRequest, "bad_request")

                // Over the 1 MB limit: declared up front, and discovered while streaming a chunked body.
                var big = audio
                while big.count < 3 << 20 { big += audio }
                try expect(try await stack.uploadRaw(big, filename: "big.wav"), .payloadTooLarge, "payload_too_large")
                let chunks = stride(from: 0, to: big.count, by: 64 << 10).map { ByteBuffer(data: big[$0..<min($0 + (64 << 10), big.count)]) }
                try expect(try await stack.send(.POST, "/api/v1/transcribe", headers: ["Content-Type": "audio/wav", "X-Filename": "big.wav"],
                                                body: .stream(AsyncStream { continuation in
                                                    for chunk in chunks { continuation.yield(chunk) }
                                                    continuation.finish()
                                                }, length: .unknown)), .payloadTooLarge, "payload_too_large")

                try expect(try await stack.get("/api/v1/jobs/\(UUID().uuidString)"), .notFound, "not_found")
                try expect(try await stack.get("/api/v1/jobs/..%2F..%2Fetc%2Fpasswd/stems/vocals"), .badRequest, "bad_request")
                try expect(try await stack.get("/api/v1/nothing-here"), .notFound, "not_found")

                // None of that made a job or left a file.
                let jobs = try await stack.get("/api/v1/jobs").json()["jobs"] as? [Any]
                #expect(jobs?.isEmpty == true)
                #expect(stack.storedFiles(under: "uploads").isEmpty, "\(stack.storedFiles(under: "uploads"))")
                #expect(stack.storedFiles(under: "jobs").isEmpty)
            }
        }

        @Test(.timeLimit(.minutes(3))) func apiKeysRateLimitsAndOperations() async throws {
            try await EdgeStack.with(edgeEnvironment: ["AURAL_API_KEYS": "key-one,key-two", "AURAL_RATE_LIMIT_RPS": "1", "AURAL_RATE_LIMIT_BURST": "5",
                                                       "AURAL_CORS_ORIGINS": "https://app.example"], worker: false) { stack in
                let missing = try await stack.get("/api/v1/jobs")
                #expect(missing.status == .unauthorized)
                #expect(try missing.errorCode() == "unauthorized")
                #expect(missing.headers.first(name: "WWW-Authenticate") == "Bearer")
                #expect(try await stack.get("/api/v1/jobs", headers: ["Authorization": "Bearer wrong"]).status == .unauthorized)
                #expect(try await stack.get("/api/v1/jobs", headers: ["Authorization": "Bearer key-one"]).status == .ok)
                #expect(try await stack.get("/api/v1/jobs", headers: ["X-API-Key": "key-two"]).status == .ok)
                #expect(try await stack.get("/health").status == .ok, "operations routes stay open")

                // key-one has used 1 of its burst of 5 at 1/s: a quick run of requests hits the limit.
                var limited: EdgeStack.Reply?
                for _ in 0..<10 {
                    let reply = try await stack.get("/api/v1/jobs", headers: ["Authorization": "Bearer key-one"])
                    if reply.status == .tooManyRequests { limited = reply; break }
                }
                let refusal = try #require(limited)
                #expect(try refusal.errorCode() == "rate_limited")
                #expect(Int(refusal.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
                // Buckets are per key: key-two is unaffected.
                #expect(try await stack.get("/api/v1/jobs", headers: ["X-API-Key": "key-two"]).status == .ok)

                let cors = try await stack.send(.OPTIONS, "/api/v1/jobs", headers: ["Origin": "https://app.example", "Access-Control-Request-Method": "GET"])
                #expect(cors.status == .noContent && cors.headers.first(name: "Access-Control-Allow-Origin") == "https://app.example")
                let foreign = try await stack.get("/health", headers: ["Origin": "https://evil.example"])
                #expect(foreign.headers.first(name: "Access-Control-Allow-Origin") == nil)

                let metrics = String(decoding: try await stack.get("/metrics").body, as: UTF8.self)
                #expect(metrics.contains(#"aural_http_requests_total{method="GET",route="/api/v1/jobs",status="401"}"#), "\(metrics.prefix(2000))")
                #expect(metrics.contains("aural_http_request_duration_seconds_bucket"))
                let openAPI = try await stack.get("/openapi.json").json()
                #expect(openAPI["openapi"] as? String == "3.1.0")
                let docs = try await stack.get("/docs")
                #expect(docs.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
                let ready = try await stack.get("/health/ready").json()
                #expect(ready["status"] as? String == "ready")
            }
        }
    }
}

extension EdgeStack {
    struct Event {
        let id: UInt64
        let name: String
        let data: [String: Any]
    }

    /// Reads `/events` until the stream ends (the job finished) or `timeout` passes.
    func serverSentEvents(_ id: String, lastEventID: UInt64? = nil, timeout: Duration = .seconds(90),
                          onOpen: () throws -> Void = {}) async throws -> [Event] {
        var request = HTTPClientRequest(url: baseURL + "/api/v1/jobs/\(id)/events")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        try onOpen()
        var text = ""
        for try await chunk in response.body { text += String(buffer: chunk) }
        return text.components(separatedBy: "\n\n").compactMap { block in
            var id: UInt64?, name: String?, data: [String: Any]?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] }
            }
            guard let id, let name, let data else { return nil }
            return Event(id: id, name: name, data: data)
        }
    }
}
