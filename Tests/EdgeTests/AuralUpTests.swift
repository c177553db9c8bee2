import AsyncHTTPClient
import AuralAudio
import AuralRPC
import AuralStore
import AuralTestSupport
import Foundation
import Testing

/// The stack as a person starts it (`aural up`), used over HTTP.
extension EdgeProcessTests {
    @Suite struct AuralUpTests {
        @Test(.timeLimit(.minutes(4))) func uploadFollowDownloadAndDeleteThroughAuralUp() async throws {
            try await EdgeStack.withAuralUp(environment: TestModel.environment) { stack in
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

                // With the model installed, `aural up` runs EmbeddingService too.
                if try TestModel.installed() {
                    let similarity = try await stack.send(.POST, "/api/v1/similarity", headers: ["Content-Type": "application/json"],
                                                          body: .bytes(.init(string: #"{"text_a": "A dog runs.", "text_b": "A puppy is running."}"#)))
                    #expect(similarity.status == .ok, "\(String(decoding: similarity.body, as: UTF8.self))")
                    #expect(try similarity.json()["score"] as? Double ?? 0 > 50)
                }
            }
        }

        /// A song with a known melody: the melody in frames.json, taken from the
        /// separated vocals, beats the trivial baseline of one constant pitch.
        @Test(.timeLimit(.minutes(4))) func melodyOfAKnownSongBeatsABaseline() async throws {
            try await EdgeStack.withAuralUp { stack in
                let song = try TestAudio.song()
                let upload = try await stack.uploadRaw(song.wav, filename: "melody.wav")
                let id = try #require(try upload.json()["job_id"] as? String)
                let status = try await stack.waitUntilFinished(id)
                #expect(status["status"] as? String == "completed", "\(status)")
                let frames = try await stack.get("/api/v1/jobs/\(id)/frames").json()
                let voiced = (frames["frames"] as? [[String: Any]] ?? []).compactMap { frame -> (time: Double, midi: Double)? in
                    guard frame["voiced"] as? Bool == true, let time = frame["time"] as? Double, let midi = frame["midi"] as? Double else { return nil }
                    return (time, midi)
                }
                // Frames well inside a note (away from its edges), scored within half a semitone.
                let scored = voiced.filter { $0.time.truncatingRemainder(dividingBy: 1) > 0.1 && $0.time.truncatingRemainder(dividingBy: 1) < 0.9 }
                func truth(_ time: Double) -> Double { Double(song.melody[min(song.melody.count - 1, Int(time))]) }
                let correct = scored.filter { abs($0.midi - truth($0.time)) < 0.5 }.count
                let constant = Double(song.melody.sorted()[song.melody.count / 2])
                let baseline = scored.filter { abs(constant - truth($0.time)) < 0.5 }.count
                #expect(scored.count > 200, "\(scored.count) voiced frames inside notes")
                #expect(Double(correct) > 0.7 * Double(scored.count), "\(correct) of \(scored.count) frames on pitch")
                #expect(correct > 2 * baseline, "melody \(correct) vs constant pitch \(baseline)")
                let notes = (frames["notes"] as? [[String: Any]] ?? []).compactMap { $0["midi"] as? Int }
                #expect(Set(notes).isSuperset(of: Set(song.melody.dropFirst().dropLast())), "notes \(notes)")

                // The accompaniment is a C major chord throughout: most of the song is labelled C:maj,
                // where the trivial baseline (no chord, `N`) would score nothing.
                let chords = try await stack.get("/api/v1/jobs/\(id)/chords").json()
                let segments = chords["chords"] as? [[String: Any]] ?? []
                let cMajor = segments.filter { $0["label"] as? String == "C:maj" }
                    .map { ($0["end"] as? Double ?? 0) - ($0["start"] as? Double ?? 0) }.reduce(0, +)
                #expect(cMajor > 0.5 * Double(song.melody.count), "C:maj for \(cMajor) s of \(song.melody.count) s: \(segments)")
            }
        }

        /// A separation worker killed mid-task is restarted by `aural up`, and the
        /// job still completes (its lease expires and the task runs again).
        @Test(.timeLimit(.minutes(4))) func killedWorkerIsRestartedAndTheJobCompletes() async throws {
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
}

/// `aural analyze`: upload, progress, results on disk, summary.
extension EdgeProcessTests {
    @Suite struct AuralAnalyzeTests {
        @Test(.timeLimit(.minutes(4))) func analyzeWritesEveryResultAgainstARunningStack() async throws {
            try await EdgeStack.withAuralUp { stack in
                let song = try TestAudio.song()
                let directory = try temporaryDirectory("analyze")
                let input = directory + "/song.wav"
                try song.wav.write(to: URL(fileURLWithPath: input))
                let (status, output) = try await Self.aural(["analyze", input, "--out", directory + "/out", "--server", stack.baseURL])
                #expect(status == 0, "\(output)")
                #expect(output.contains("completed; results in"), "\(output)")
                #expect(output.contains("duration   6.0 s"), "\(output)")
                let files = try Set(FileManager.default.contentsOfDirectory(atPath: directory + "/out"))
                #expect(files.isSuperset(of: ["vocals.mp3", "drums.mp3", "bass.mp3", "other.mp3", "instrumental.mp3", "frames.json"]), "\(files)")
                #expect(!files.contains { $0.hasSuffix(".part") })
                let vocals = try AudioFile.probe(directory + "/out/vocals.mp3")
                #expect(abs(vocals.duration - 6) < 0.1)
            }
        }

        /// Without --server, analyze runs a private stack for the one file and stops it.
        @Test(.timeLimit(.minutes(3))) func analyzeWithoutAServerRunsItsOwnStack() async throws {
            let directory = try temporaryDirectory("analyze-private")
            try TestAudio.wav(seconds: 2).write(to: URL(fileURLWithPath: directory + "/tone.wav"))
            let (status, output) = try await Self.aural(["analyze", directory + "/tone.wav", "--out", directory + "/out"])
            #expect(status == 0, "\(output)")
            #expect(FileManager.default.fileExists(atPath: directory + "/out/vocals.mp3"), "\(output)")
        }

        @Test(.timeLimit(.minutes(2))) func initStorageIsIdempotentAndStatusAndJobsReport() async throws {
            let data = try temporaryDirectory("init-storage")
            for _ in 0..<2 {
                let (status, output) = try await Self.aural(["init-storage", "--data-dir", data])
                #expect(status == 0, "\(output)")
                #expect(output.contains("database at schema version \(Schema.migrations.count)"), "\(output)")
            }
            for directory in ["blobs/uploads", "blobs/jobs", "run"] {
                #expect(FileManager.default.fileExists(atPath: data + "/" + directory), "\(directory) missing")
            }
            try await EdgeStack.withAuralUp { stack in
                let upload = try await stack.uploadRaw(try TestAudio.wav(seconds: 1), filename: "listed.wav")
                let id = try #require(try upload.json()["job_id"] as? String)
                _ = try await stack.waitUntilFinished(id)
                let (status, output) = try await Self.aural(["status", "--server", stack.baseURL])
                #expect(status == 0, "\(output)")
                #expect(output.contains("stack: ready"), "\(output)")
                #expect(output.range(of: #"completed\s+1\b"#, options: .regularExpression) != nil, "\(output)")
                let (listed, jobs) = try await Self.aural(["jobs", "--server", stack.baseURL])
                #expect(listed == 0 && jobs.contains(id) && jobs.contains("listed.wav"), "\(jobs)")
            }
        }

        @Test(.timeLimit(.minutes(2))) func analyzeExplainsAMissingFileAndAnUnreachableServer() async throws {
            let (missing, missingOutput) = try await Self.aural(["analyze", "/nonexistent/song.wav", "--server", "http://127.0.0.1:9"])
            #expect(missing != 0 && missingOutput.contains("no such file"), "\(missingOutput)")
            let directory = try temporaryDirectory("analyze-bad")
            try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: directory + "/notes.mp3"))
            try await EdgeStack.withAuralUp { stack in
                let (status, output) = try await Self.aural(["analyze", directory + "/notes.mp3", "--server", stack.baseURL])
                #expect(status != 0 && output.contains("415 unsupported_media_type"), "\(output)")
            }
        }

        static func aural(_ arguments: [String]) async throws -> (Int32, String) {
            let process = Process()
            process.executableURL = productsDirectory.appendingPathComponent("aural")
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = try await runOnOwnThread { String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            _ = try? await runOnOwnThread { process.waitUntilExit() }
            return (process.terminationStatus, output)
        }
    }
}

/// The stack under failure and load, as `aural up` runs it.
extension EdgeProcessTests {
    @Suite struct AuralUpResilienceTests {
        /// Ten uploads at once with two separation replicas: all complete, and no
        /// task ran twice (every task finished on its first attempt).
        @Test(.timeLimit(.minutes(8))) func tenJobsAtOnceAllCompleteOnce() async throws {
            try await EdgeStack.withAuralUp(arguments: ["--separation", "2"]) { stack in
                let audio = try TestAudio.wav(seconds: 2)
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<10 {
                        group.addTask {
                            let reply = try await stack.uploadRaw(audio, filename: "load-\(index).wav")
                            return try #require(try reply.json()["job_id"] as? String)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(Set(ids).count == 10)
                for id in ids {
                    let status = try await stack.waitUntilFinished(id, timeout: .seconds(240))
                    #expect(status["status"] as? String == "completed", "\(status)")
                }
                let attempts = try await stack.taskAttempts()
                #expect(attempts.count == 30, "a separation, a transcription and a chords task per job")
                #expect(attempts.allSatisfy { $0 == 1 }, "\(attempts)")
            }
        }

        /// SessionService killed mid-job is restarted by `aural up`; the job
        /// completes. The Edge restarted keeps answering with the same state.
        @Test(.timeLimit(.minutes(8))) func sessionServiceAndEdgeSurviveRestarts() async throws {
            try await EdgeStack.withAuralUp(environment: ["AURAL_LEASE_SECONDS": "3"]) { stack in
                let upload = try await stack.uploadRaw(try TestAudio.wav(seconds: 30), filename: "restart.wav")
                let id = try #require(try upload.json()["job_id"] as? String)
                let deadline = ContinuousClock.now + .seconds(30)
                while try await stack.get("/api/v1/jobs/\(id)").json()["status"] as? String != "processing" {
                    guard ContinuousClock.now < deadline else { Issue.record("the job never started"); return }
                    try await Task.sleep(for: .milliseconds(50))
                }
                kill(try #require(try stack.childPID("SessionService")), SIGKILL)
                let status = try await stack.waitUntilFinished(id, timeout: .seconds(180))
                #expect(status["status"] as? String == "completed", "\(status)")

                let edge = try #require(try stack.childPID("Edge"))
                kill(edge, SIGKILL)
                try await stack.waitUntilReady(timeout: .seconds(30))
                #expect(try stack.childPID("Edge") != edge)
                let again = try await stack.get("/api/v1/jobs/\(id)").json()
                #expect(again["status"] as? String == "completed")
                #expect(try await stack.get("/api/v1/jobs/\(id)/stems/vocals").status == .ok)
            }
        }
    }
}
