import AuralBlob
import AuralSession
import AuralStore
import Logging
import ServiceLifecycle

/// SessionService's timers: the reaper returns expired leases to the queue
/// (or fails their jobs), and the retention cleaner deletes finished jobs
/// older than the retention period with their files.
public struct SessionMaintenance: Service {
    public struct Configuration: Sendable {
        public var reapInterval: Duration = .seconds(1)
        public var retentionMilliseconds: Int64 = 7 * 86_400_000
        public var retentionInterval: Duration = .seconds(3600)

        public init() {}
    }

    let store: JobStore
    let blobs: LocalBlobStore
    let hub: EventHub
    let availability: TaskAvailability
    let configuration: Configuration
    let logger: Logger

    public init(store: JobStore, blobs: LocalBlobStore, hub: EventHub, availability: TaskAvailability,
                configuration: Configuration, logger: Logger) {
        self.store = store
        self.blobs = blobs
        self.hub = hub
        self.availability = availability
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await every(configuration.reapInterval) { try await reap() } }
            group.addTask { await every(configuration.retentionInterval) { _ = try await sweepRetention() } }
            await group.waitForAll()
        }
    }

    func reap() async throws {
        let outcome = try await store.reapExpiredLeases()
        hub.publish(outcome.events)
        availability.notify(outcome.runnableStages)
        if !outcome.runnableStages.isEmpty || outcome.jobFinished {
            logger.warning("expired leases reaped", metadata: ["requeued": "\(outcome.runnableStages.map(\.rawValue))"])
        }
    }

    /// Deletes finished jobs completed before the retention cut-off; returns their ids.
    public func sweepRetention(now: Int64 = UnixTime.nowMilliseconds()) async throws -> [String] {
        let expired = try await store.finishedJobs(before: now - configuration.retentionMilliseconds)
        let deletion = JobDeletion(store: store, blobs: blobs, hub: nil)
        for id in expired { try await deletion.delete(id) }
        if !expired.isEmpty { logger.info("retention deleted jobs", metadata: ["count": "\(expired.count)"]) }
        return expired
    }

    /// Runs `work` now and then every `interval` until graceful shutdown;
    /// a failing round is logged and the next one tried.
    private func every(_ interval: Duration, _ work: @Sendable () async throws -> Void) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await work() } catch { logger.warning("maintenance round failed", metadata: ["error": "\(error)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
