import AuralRPC
import AuralSession
import AuralStore
import AuralWire
import Logging
import ServiceLifecycle
import Synchronization

/// Fans job events out to every Edge: workers' progress arrives on
/// `events-in` (SUB, listening) and lifecycle events from the queue; both
/// leave on `events-out` (PUB, listening) under the topic `job.{job_id}`.
/// Progress is published at once and written to the database at most once a
/// second per job, so a poll and a stream agree within a second.
public final class EventHub: Service, Sendable {
    private struct JobProgress {
        var weights: [PipelineStage: Double]
        var percents: [PipelineStage: Double]
        var dirty: Set<PipelineStage> = []

        var jobPercent: Double {
            let total = weights.values.reduce(0, +)
            guard total > 0 else { return 0 }
            return weights.reduce(0) { $0 + $1.value * (percents[$1.key] ?? 0) } / total
        }
    }

    private let store: JobStore
    private let publisher: Publisher
    private let subscriber: Subscriber
    private let logger: Logger
    private let flushInterval: Duration
    private let tracked = Mutex<[String: JobProgress]>([:])

    public init(store: JobStore, eventsIn: String, eventsOut: String, flushInterval: Duration = .seconds(1), logger: Logger) throws {
        self.store = store
        self.logger = logger
        self.flushInterval = flushInterval
        publisher = try Publisher()
        subscriber = try Subscriber()
        try AuralAddresses.prepare(eventsIn)
        try AuralAddresses.prepare(eventsOut)
        try publisher.listen(eventsOut)
        try subscriber.listen(eventsIn)
        try subscriber.subscribe(prefix: "task.")
    }

    public static func topic(jobID: String) -> String { "job.\(jobID)" }

    /// Publishes lifecycle events; the progress of their jobs is re-read
    /// from the database on the next progress report.
    public func publish(_ events: [JobEventRecord]) {
        guard !events.isEmpty else { return }
        tracked.withLock { tracked in for event in events { tracked[event.jobID] = nil } }
        for event in events { send(event) }
    }

    /// Records a task's progress (from a heartbeat or an `events-in`
    /// message) and publishes the job's overall percentage.
    public func recordProgress(jobID: String, stage: PipelineStage, percent: Double) async {
        let percent = min(max(percent, 0), 100)
        if tracked.withLock({ $0[jobID] == nil }) {
            guard let tasks = try? await store.taskProgress(of: jobID) else { return }  // finished or gone
            tracked.withLock { tracked in
                if tracked[jobID] == nil {
                    tracked[jobID] = JobProgress(weights: tasks.mapValues(\.weight), percents: tasks.mapValues(\.percent))
                }
            }
        }
        let jobPercent = tracked.withLock { tracked -> Double? in
            guard var job = tracked[jobID], job.weights[stage] != nil else { return nil }
            job.percents[stage] = percent
            job.dirty.insert(stage)
            tracked[jobID] = job
            return job.jobPercent
        }
        guard let jobPercent else { return }
        send(JobEventRecord(
            jobID: jobID, sequence: store.sequencer.next(), timeMs: UnixTime.nowMilliseconds(),
            kind: .progress(stage: stage, stagePercent: percent, jobPercent: jobPercent)))
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.relayWorkerProgress() }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: self.flushInterval)
                        await self.flush()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.subscriber.close()
        }
        await flush()
        publisher.close()
    }

    private func relayWorkerProgress() async {
        while true {
            let delivery: Subscriber.Delivery
            do { delivery = try await subscriber.next() } catch { return }  // closed on shutdown
            guard let event = try? delivery.decode(Aural_V1_TaskProgressEvent.self),
                  let stage = try? SessionWire.stage(event.progress.stage) else {
                logger.warning("dropped a malformed progress event", metadata: ["topic": "\(delivery.topic)"])
                continue
            }
            await recordProgress(jobID: event.jobID, stage: stage, percent: Double(event.progress.percent))
        }
    }

    private func flush() async {
        let dirty = tracked.withLock { tracked -> [(String, [PipelineStage: Double])] in
            var dirty: [(String, [PipelineStage: Double])] = []
            for (jobID, var job) in tracked where !job.dirty.isEmpty {
                dirty.append((jobID, job.percents.filter { job.dirty.contains($0.key) }))
                job.dirty.removeAll()
                tracked[jobID] = job
            }
            return dirty
        }
        for (jobID, stages) in dirty {
            do { try await store.saveProgress(jobID: jobID, stages: stages) } catch {
                logger.warning("could not save progress", metadata: ["job": "\(jobID)", "error": "\(error)"])
            }
        }
    }

    private func send(_ event: JobEventRecord) {
        do { try publisher.publish(SessionWire.event(event), topic: Self.topic(jobID: event.jobID)) } catch {
            logger.warning("could not publish an event", metadata: ["job": "\(event.jobID)", "error": "\(error)"])
        }
    }
}
