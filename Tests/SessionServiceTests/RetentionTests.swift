import AuralBlob
import AuralServices
import AuralSession
import AuralStore
import AuralTestSupport
import Foundation
import Testing

@Suite("Retention")
struct RetentionTests {
    /// Finished jobs past the retention period go with their files; running
    /// and recent ones stay.
    @Test(arguments: TestDatabaseKind.allCases)
    func retentionDeletesExpiredJobsRowsAndFiles(kind: TestDatabaseKind) async throws {
        guard let url = try await TestDatabases.url(kind) else { return }
        let store = JobStore(database: try await Database.open(url: url, poolSize: 2))
        let blobs = try LocalBlobStore(root: try temporaryDirectory("retention"))
        let hub = try EventHub(store: store, eventsIn: TestAddress.ipc(), eventsOut: TestAddress.ipc(), logger: testLogger)
        var configuration = SessionMaintenance.Configuration()
        configuration.retentionMilliseconds = 7 * 86_400_000
        let maintenance = SessionMaintenance(store: store, blobs: blobs, hub: hub, availability: TaskAvailability(),
                                             configuration: configuration, logger: testLogger)

        func finishedJob(at time: Int64) async throws -> String {
            let job = try await store.createJob(NewJob(input: BlobReference(key: "in", contentType: "audio/wav", size: 1),
                                                       inputFilename: "a.wav", stages: [.chords]), now: time)
            let task = try #require(try await store.lease(stage: .chords, workerID: "w", now: time)).task
            let key = "jobs/\(job.id)/chords.json"
            try blobs.write(key, data: Data("{}".utf8))
            _ = try await store.complete(taskID: task.taskID, leaseToken: task.leaseToken,
                                         outputs: [BlobReference(key: key, contentType: "application/json", size: 2)],
                                         summary: [:], now: time + 1)
            return job.id
        }
        let day: Int64 = 86_400_000
        let now = 100 * day
        let old = try await finishedJob(at: now - 8 * day)
        let recent = try await finishedJob(at: now - 6 * day)
        let running = try await store.createJob(NewJob(input: BlobReference(key: "in", contentType: "audio/wav", size: 1),
                                                       inputFilename: "b.wav", stages: [.chords]), now: now - 30 * day)

        #expect(try await maintenance.sweepRetention(now: now) == [old])
        #expect(try await store.job(old) == nil)
        #expect(!(try blobs.exists("jobs/\(old)/chords.json")))
        #expect(try await store.job(recent) != nil && (try blobs.exists("jobs/\(recent)/chords.json")))
        #expect(try await store.job(running.id)?.state == .queued)
    }
}
