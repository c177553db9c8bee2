import AuralAudio
import AuralBlob
import AuralRPC
import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// SessionService, the fixture and separation workers as real processes,
/// over real sockets, on SQLite and on PostgreSQL.
@Suite("SessionService process")
struct SessionServiceTests {
    @Test(arguments: TestDatabaseKind.allCases)
    func separationJobRunsEndToEndWithLiveEvents(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            let events = try Subscriber()
            try events.dial(stack.environment["AURAL_EVENTS_OUT"]!)
            try events.subscribe(prefix: "job.")
            try stack.startSeparationWorker()

            let song = AudioBuffer(sampleRate: 44_100, channels: (0..<2).map { channel in
                (0..<(44_100 * 3)).map { index in Float(0.3 * sin(Double(index) * (channel == 0 ? 0.05 : 0.07))) }
            })
            let path = try temporaryDirectory("input") + "/song.wav"
            try AudioFile.write(song, to: path, format: .wav(.pcm16))
            let created = try await stack.createJob(stages: [.separation], bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(created.status == .queued && created.input.key == "jobs/\(created.jobID)/input/source.wav")

            var seen: [Aural_V1_JobEvent] = []
            while !seen.contains(where: { if case .completed = $0.kind { true } else { false } }) {
                let delivery = try await events.next(timeout: .seconds(60))
                let event = try delivery.decode(Aural_V1_JobEvent.self)
                if event.jobID == created.jobID { seen.append(event) }
            }
            #expect(seen.first?.stage.stage == .separation)
            #expect(seen.contains { $0.progress.jobPercent > 0 })
            #expect(seen.map(\.sequence) == seen.map(\.sequence).sorted())

            let job = try await stack.job(created.jobID)
            #expect(job.status == .completed && job.progress == 100 && job.metadata["duration"] == "3.000")
            #expect(job.artifacts.count == 10)  // five stems, MP3 and FLAC
            let blobs = try LocalBlobStore(root: stack.dataDirectory + "/blobs")
            for artifact in job.artifacts {
                let (size, sha256) = (try blobs.size(artifact.key), try blobs.sha256(artifact.key))
                #expect(artifact.size == size && artifact.sha256 == sha256)
            }
            #expect(job.artifacts.contains { $0.key == "jobs/\(job.jobID)/stems/vocals.mp3" && $0.contentType == "audio/mpeg" })

            var history = Aural_V1_ListJobEventsRequest()
            history.jobID = job.jobID
            let logged = try await stack.client.call(SessionMethods.listJobEvents, history).events
            #expect(logged.last?.completed != nil && logged.first?.stage.stage == .separation)
            #expect(logged.count >= 2 && logged.map(\.sequence) == logged.map(\.sequence).sorted())
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func corruptInputFailsTheJobWithoutRetrying(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            try stack.startSeparationWorker()
            let created = try await stack.createJob(stages: [.separation], filename: "fake.wav", bytes: Data("RIFF plain text".utf8))
            let job = try await stack.waitForJob(created.jobID) { $0.status == .failed }
            #expect(job.errorMessage.contains("separation failed after 1 attempt"))
            #expect(job.stage == .separation)
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func killedWorkersTaskIsLeasedAgainAndTheJobCompletes(kind: TestDatabaseKind) async throws {
        // 3 s: short enough to wait out, long enough that heartbeats of a
        // worker starved by a loaded machine still keep it (a 1 s lease flaked).
        try await SessionStack.with(kind, leaseSeconds: 3) { stack in
            let doomed = try stack.startFixtureWorker(seconds: 30)
            let created = try await stack.createJob(stages: [.chords])
            _ = try await stack.waitForJob(created.jobID) { $0.status == .processing && $0.progress > 0 }
            await doomed.kill()

            try stack.startFixtureWorker(seconds: 0.2)
            let job = try await stack.waitForJob(created.jobID) { $0.status == .completed }
            #expect(job.metadata["chords_attempt"] == "2")
            #expect(stack.blobExists("jobs/\(job.jobID)/chords.json"))
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func restartedSessionServiceResumesTheRunningJob(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind, leaseSeconds: 15) { stack in  // room for a slow restart on a loaded machine
            try stack.startFixtureWorker(seconds: 8)
            let created = try await stack.createJob(stages: [.chords])
            _ = try await stack.waitForJob(created.jobID) { $0.status == .processing }
            await stack.session.kill()
            try await Task.sleep(for: .milliseconds(300))
            try await stack.restartSession()
            let job = try await stack.waitForJob(created.jobID, timeout: .seconds(30)) { $0.status == .completed }
            #expect(job.metadata["chords_attempt"] == "1")  // the same lease carried on across the restart
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func cancelTellsTheRunningWorkerWhichMovesOn(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            try stack.startFixtureWorker(seconds: 8)
            let first = try await stack.createJob(stages: [.chords])
            _ = try await stack.waitForJob(first.jobID) { $0.status == .processing }
            var cancel = Aural_V1_CancelJobRequest()
            cancel.jobID = first.jobID
            #expect(try await stack.client.call(SessionMethods.cancelJob, cancel).status == .cancelled)
            await #expect(throws: RPCError.self) { try await stack.client.call(SessionMethods.cancelJob, cancel) }

            // The worker drops the cancelled task (no artifact) and takes the next job.
            let second = try await stack.createJob(stages: [.chords])
            _ = try await stack.waitForJob(second.jobID, timeout: .seconds(20)) { $0.status == .completed }
            #expect(try await stack.job(first.jobID).status == .cancelled)
            #expect(!stack.blobExists("jobs/\(first.jobID)/chords.json"))
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func deleteWhileRunningRemovesRowsAndFiles(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            try stack.startFixtureWorker(seconds: 6)
            let created = try await stack.createJob(stages: [.chords])
            #expect(stack.blobExists(created.input.key))
            _ = try await stack.waitForJob(created.jobID) { $0.status == .processing }
            var delete = Aural_V1_DeleteJobRequest()
            delete.jobID = created.jobID
            _ = try await stack.client.call(SessionMethods.deleteJob, delete)
            await #expect(throws: RPCError.notFound("no job \(created.jobID)")) { try await stack.job(created.jobID) }
            try await Task.sleep(for: .seconds(7))  // past the task's end: the worker must not bring files back
            #expect(!stack.blobExists("jobs/\(created.jobID)"))
            await #expect(throws: RPCError.self) { try await stack.client.call(SessionMethods.deleteJob, delete) }
        }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func sigtermDrainsTheRunningTask(kind: TestDatabaseKind) async throws {
        try await SessionStack.with(kind) { stack in
            // Long enough that a loaded machine still sees it running before the SIGTERM.
            let worker = try stack.startFixtureWorker(seconds: 8)
            let created = try await stack.createJob(stages: [.chords])
            _ = try await stack.waitForJob(created.jobID) { $0.status == .processing && $0.progress > 0 }
            worker.terminate()
            await worker.waitForExit()
            #expect(worker.process.terminationStatus == 0)
            #expect(try await stack.job(created.jobID).status == .completed)
        }
    }

    @Test func unknownJobsAndBadRequestsGetClearErrors() async throws {
        try await SessionStack.with(.sqlite) { stack in
            await #expect(throws: RPCError.notFound("no job nope")) { try await stack.job("nope") }
            var missing = Aural_V1_CreateJobRequest()
            missing.input.key = "uploads/never-written"
            await #expect(throws: RPCError.self) { try await stack.client.call(SessionMethods.createJob, missing) }
            var list = Aural_V1_ListJobsRequest()
            list.cursor = "garbage"
            await #expect(throws: RPCError.self) { try await stack.client.call(SessionMethods.listJobs, list) }
        }
    }
}
