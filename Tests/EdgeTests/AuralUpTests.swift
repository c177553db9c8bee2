import AsyncHTTPClient
import AuralAudio
import AuralTestSupport
import Foundation
import Testing

/// The stack as a person starts it (`aural up`), used over HTTP.
@Suite struct AuralUpTests {
    @Test func uploadFollowDownloadAndDeleteThroughAuralUp() async throws {
        try await EdgeStack.withAuralUp { stack in
            let upload = try await stack.uploadMultipart(try TestAudio.wav(seconds: 3), filename: "three.wav")
            #expect(upload.status == .accepted)
            let id = try #require(try upload.json()["job_id"] as? String)
            let events = try await stack.serverSentEvents(id)
            #expect(events.last?.name == "completed", "\(events.map(\.name))")
            let results = try await stack.get("/api/v1/jobs/\(id)/results").json()
            let stems = try #require((results["results"] as? [String: Any])?["stems"] as? [String: String])
            #expect(stems.count == 5)
            for (name, url) in stems {
                // Each stem is decodable audio of the upload's length.
                let flac = try await stack.get(url + "?format=flac")
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(id)-\(name).flac").path
                try flac.body.write(to: URL(fileURLWithPath: path))
                defer { try? FileManager.default.removeItem(atPath: path) }
                let info = try AudioFile.probe(path)
                #expect(abs(info.duration - 3) < 0.05, "\(name): \(info.duration) s")
            }
            #expect(try await stack.send(.DELETE, "/api/v1/jobs/\(id)").status == .noContent)
            #expect(stack.storedFiles(under: "jobs/\(id)").isEmpty)
        }
    }

    /// A separation worker killed mid-task is restarted by `aural up`, and the
    /// job still completes (its lease expires and the task runs again).
    @Test func killedWorkerIsRestartedAndTheJobCompletes() async throws {
        try await EdgeStack.withAuralUp(environment: ["AURAL_LEASE_SECONDS": "2"]) { stack in
            let upload = try await stack.uploadRaw(try TestAudio.wav(seconds: 60), filename: "long.wav")
            let id = try #require(try upload.json()["job_id"] as? String)
            let deadline = ContinuousClock.now + .seconds(30)
            while try await stack.get("/api/v1/jobs/\(id)").json()["status"] as? String != "processing" {
                guard ContinuousClock.now < deadline else { Issue.record("the job never started"); return }
                try await Task.sleep(for: .milliseconds(50))
            }
            let worker = try #require(try stack.childPID("SeparationService"))
            kill(worker, SIGKILL)
            let status = try await stack.waitUntilFinished(id, timeout: .seconds(180))
            #expect(status["status"] as? String == "completed", "\(status)")
            let restarted = try stack.childPID("SeparationService")
            #expect(restarted != nil && restarted != worker)
        }
    }
}
