import AuralSession
import AuralStore
import AuralTestSupport
import Foundation
import Testing

/// The store and queue against SQLite and a real PostgreSQL server. Time is
/// passed explicitly (`now:`), so lease expiry is tested without sleeping.
@Suite struct JobStoreTests {
    static let input = BlobReference(key: "jobs/x/input/song.wav", contentType: "audio/wav", size: 1234)

    func store(_ kind: TestDatabaseKind, configuration: JobStore.Configuration = .init()) async throws -> JobStore? {
        guard let url = try await TestDatabases.url(kind) else { return nil }
        return JobStore(database: try await Database.open(url: url, poolSize: 4), configuration: configuration)
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func migrationsAreRecordedAndAppliedOnce(kind: TestDatabaseKind) async throws {
        guard let url = try await TestDatabases.url(kind) else { return }
        _ = try await Database.open(url: url)
        let again = try await Database.open(url: url)
        let versions = try await again.read { db in try db.query("SELECT version FROM schema_migrations").map { try $0.int("version") } }
        #expect(versions == Schema.migrations.map { Int64($0.version) })
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func musicPipelineRunsThroughItsStages(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        let audio = AudioSummary(duration: 3.5, sampleRate: 44_100, channels: 2, format: "wav", frames: 154_350)
        let job = try await store.createJob(NewJob(input: Self.input, inputFilename: "song.wav", audio: audio, options: ["language": "en"]))
        #expect(job.state == .queued && job.stage == nil && job.audio == audio && job.options == ["language": "en"])

        // Transcription waits for separation; chords read the mix and start at once.
        #expect(try await store.lease(stage: .transcription, workerID: "t") == nil)
        let separation = try #require(try await store.lease(stage: .separation, workerID: "s"))
        #expect(separation.task.attempt == 1 && separation.task.outputPrefix == "jobs/\(job.id)")
        #expect(separation.task.options == ["language": "en"])  // every stage sees the job's settings
        #expect(separation.events.map(\.kind) == [.stageChanged(stage: .separation, state: .processing)])
        let chords = try #require(try await store.lease(stage: .chords, workerID: "c"))
        #expect(try await store.job(job.id)?.state == .processing)

        let vocals = Artifact(name: "stems/vocals.mp3", stage: .separation,
                              blob: BlobReference(key: "jobs/\(job.id)/stems/vocals.mp3", contentType: "audio/mpeg", size: 99, sha256: "ab"))
        let afterSeparation = try await store.complete(
            taskID: separation.task.taskID, leaseToken: separation.task.leaseToken, outputs: [vocals.blob], summary: ["duration": "3.5"])
        #expect(afterSeparation.runnableStages == [.transcription] && !afterSeparation.jobFinished)

        let transcription = try #require(try await store.lease(stage: .transcription, workerID: "t"))
        #expect(transcription.task.inputs == [vocals])
        _ = try await store.complete(taskID: chords.task.taskID, leaseToken: chords.task.leaseToken, outputs: [], summary: ["key": "C:maj"])
        let progress = try #require(try await store.job(job.id)?.progress)
        #expect(abs(progress - 100 * 7.0 / 9.0) < 0.01)  // separation (6) and chords (1) of 9

        let last = try await store.complete(
            taskID: transcription.task.taskID, leaseToken: transcription.task.leaseToken, outputs: [], summary: ["notes": "12"])
        #expect(last.jobFinished)
        let done = try #require(try await store.job(job.id))
        #expect(done.state == .completed && done.progress == 100 && done.stage == nil && done.completedAtMs != nil)
        #expect(done.metadata == ["duration": "3.5", "key": "C:maj", "notes": "12", "artifact_count": "1"])
        #expect(done.artifacts == [vocals])

        let log = try await store.events(of: job.id, after: 0)
        #expect(log.last?.kind == .completed(artifacts: []))
        #expect(log.map(\.sequence) == log.map(\.sequence).sorted() && Set(log.map(\.sequence)).count == log.count)
        #expect(try await store.events(of: job.id, after: log[log.count - 2].sequence).count == 1)
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func expiredLeaseReturnsToTheQueueAndTheOldHolderCannotFinish(kind: TestDatabaseKind) async throws {
        var configuration = JobStore.Configuration()
        configuration.leaseMilliseconds = 1_000
        configuration.maxAttempts = 2
        guard let store = try await store(kind, configuration: configuration) else { return }
        let t0: Int64 = 1_000_000
        let job = try await store.createJob(NewJob(input: Self.input, inputFilename: "a.wav", stages: [.chords]), now: t0)
        let first = try #require(try await store.lease(stage: .chords, workerID: "w1", now: t0)).task

        // Heartbeats extend the lease; a reap before expiry changes nothing.
        #expect(try await store.heartbeat(taskID: first.taskID, leaseToken: first.leaseToken, now: t0 + 900).expiresAtMs == t0 + 1_900)
        #expect(try await store.reapExpiredLeases(now: t0 + 1_500).runnableStages.isEmpty)

        #expect(try await store.reapExpiredLeases(now: t0 + 2_000).runnableStages == [.chords])
        await #expect(throws: QueueError.self) {
            try await store.complete(taskID: first.taskID, leaseToken: first.leaseToken, outputs: [], summary: [:], now: t0 + 2_001)
        }
        await #expect(throws: QueueError.self) {
            try await store.heartbeat(taskID: first.taskID, leaseToken: first.leaseToken, now: t0 + 2_001)
        }
        let second = try #require(try await store.lease(stage: .chords, workerID: "w2", now: t0 + 2_002)).task
        #expect(second.attempt == 2 && second.taskID == first.taskID && second.leaseToken != first.leaseToken)

        // A completion after expiry, before any reap, is refused as well.
        await #expect(throws: QueueError.self) {
            try await store.complete(taskID: second.taskID, leaseToken: second.leaseToken, outputs: [], summary: [:], now: t0 + 3_100)
        }
        // The last attempt expires: the job fails with the reason.
        let outcome = try await store.reapExpiredLeases(now: t0 + 3_100)
        #expect(outcome.jobFinished)
        let failed = try #require(try await store.job(job.id))
        #expect(failed.state == .failed && failed.stage == .chords)
        #expect(failed.errorMessage?.contains("expired") == true)
        #expect(try await store.lease(stage: .chords, workerID: "w3", now: t0 + 3_200) == nil)
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func failuresRetryWithBackoffThenFailTheJob(kind: TestDatabaseKind) async throws {
        var configuration = JobStore.Configuration()
        configuration.maxAttempts = 2
        configuration.retryBackoffMilliseconds = 500
        guard let store = try await store(kind, configuration: configuration) else { return }
        let t0: Int64 = 5_000_000
        let job = try await store.createJob(NewJob(input: Self.input, inputFilename: "a.wav", stages: [.separation, .transcription]), now: t0)
        let first = try #require(try await store.lease(stage: .separation, workerID: "w", now: t0)).task
        #expect(try await store.fail(taskID: first.taskID, leaseToken: first.leaseToken, message: "disk full", retryable: true, now: t0 + 10).willRetry)
        #expect(try await store.lease(stage: .separation, workerID: "w", now: t0 + 100) == nil)  // backing off
        let second = try #require(try await store.lease(stage: .separation, workerID: "w", now: t0 + 600)).task
        let outcome = try await store.fail(taskID: second.taskID, leaseToken: second.leaseToken, message: "disk full", retryable: true, now: t0 + 700)
        #expect(!outcome.willRetry && outcome.jobFinished)
        let failed = try #require(try await store.job(job.id))
        #expect(failed.state == .failed && failed.errorMessage == "separation failed after 2 attempts: disk full")
        #expect(try await store.lease(stage: .transcription, workerID: "w", now: t0 + 800) == nil)  // dependents cancelled

        let other = try await store.createJob(NewJob(input: Self.input, inputFilename: "b.wav", stages: [.chords]))
        let task = try #require(try await store.lease(stage: .chords, workerID: "w")).task
        #expect(try await store.fail(taskID: task.taskID, leaseToken: task.leaseToken, message: "not audio", retryable: false).jobFinished)
        #expect(try await store.job(other.id)?.errorMessage == "chords failed after 1 attempt: not audio")
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func cancelStopsDispatchAndTellsTheRunningWorker(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        let job = try await store.createJob(NewJob(input: Self.input, inputFilename: "a.wav"))
        let running = try #require(try await store.lease(stage: .separation, workerID: "w")).task
        let (cancelled, events) = try await store.cancelJob(job.id)
        #expect(cancelled.state == .cancelled && events.map(\.kind) == [.cancelled])
        #expect(try await store.heartbeat(taskID: running.taskID, leaseToken: running.leaseToken).cancelled)
        await #expect(throws: QueueError.self) {
            try await store.complete(taskID: running.taskID, leaseToken: running.leaseToken, outputs: [], summary: [:])
        }
        #expect(try await store.lease(stage: .chords, workerID: "w") == nil)
        await #expect(throws: QueueError.conflict("job \(job.id) is already cancelled")) { try await store.cancelJob(job.id) }
        await #expect(throws: QueueError.notFound("no job nope")) { try await store.cancelJob("nope") }
        #expect(try await store.job(job.id)?.state == .cancelled)
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func listPagesNewestFirstWithAStatusFilter(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        var created: [String] = []
        for index in 0..<7 {
            created.append(try await store.createJob(NewJob(input: Self.input, inputFilename: "\(index).wav", stages: [.chords]),
                                                     now: 1_000 + Int64(index)).id)
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.listJobs(limit: 3, cursor: cursor, state: nil)
            #expect(page.jobs.count <= 3)
            seen += page.jobs.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == created.reversed())

        _ = try await store.cancelJob(created[2])
        #expect(try await store.listJobs(limit: 10, cursor: nil, state: .cancelled).jobs.map(\.id) == [created[2]])
        #expect(try await store.listJobs(limit: 10, cursor: nil, state: .queued).jobs.count == 6)
        await #expect(throws: QueueError.self) { try await store.listJobs(limit: 3, cursor: "garbage", state: nil) }
    }

    @Test(arguments: TestDatabaseKind.allCases)
    func deleteAndRetentionRemoveEveryRow(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        let job = try await store.createJob(NewJob(input: Self.input, inputFilename: "a.wav", stages: [.chords]), now: 10_000)
        let task = try #require(try await store.lease(stage: .chords, workerID: "w", now: 10_001)).task
        await #expect(throws: QueueError.self) {  // outputs stay inside the job's prefix
            try await store.complete(taskID: task.taskID, leaseToken: task.leaseToken, outputs: [
                BlobReference(key: "jobs/other/chords.json", contentType: "application/json", size: 2),
            ], summary: [:], now: 10_002)
        }
        _ = try await store.complete(taskID: task.taskID, leaseToken: task.leaseToken, outputs: [
            BlobReference(key: "jobs/\(job.id)/chords.json", contentType: "application/json", size: 2),
        ], summary: [:], now: 10_002)
        #expect(try await store.job(job.id)?.artifacts.map(\.name) == ["chords.json"])
        #expect(try await store.finishedJobs(before: 10_002).isEmpty)
        #expect(try await store.finishedJobs(before: 10_003) == [job.id])
        #expect(try await store.deleteJobRows(job.id))
        #expect(try await store.job(job.id) == nil)
        #expect(!(try await store.deleteJobRows(job.id)))
        let leftovers = try await store.database.read { db in
            try ["tasks", "artifacts", "events"].map { table in
                try db.query("SELECT COUNT(*) AS n FROM \(table) WHERE job_id = $1", .text(job.id)).first!.int("n")
            }
        }
        #expect(leftovers == [0, 0, 0])
    }

    /// 8 workers lease 500 tasks concurrently: each is completed exactly once.
    @Test(arguments: TestDatabaseKind.allCases)
    func concurrentWorkersCompleteEachTaskExactlyOnce(kind: TestDatabaseKind) async throws {
        guard let store = try await store(kind) else { return }
        for _ in 0..<500 {
            _ = try await store.createJob(NewJob(input: Self.input, inputFilename: "a.wav", stages: [.chords]))
        }
        let completions = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var done: [String] = []
                    while let lease = try await store.lease(stage: .chords, workerID: "w\(worker)") {
                        _ = try await store.complete(taskID: lease.task.taskID, leaseToken: lease.task.leaseToken, outputs: [], summary: [:])
                        done.append(lease.task.taskID)
                    }
                    return done
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(completions.count == 500)
        #expect(Set(completions).count == 500)
        #expect(try await store.listJobs(limit: 100, cursor: nil, state: .completed).jobs.count == 100)
        #expect(try await store.queueDepth(stage: .chords) == 0)
    }
}
