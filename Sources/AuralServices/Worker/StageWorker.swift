import AuralBlob
import AuralRPC
import AuralSession
import AuralStore
import AuralWire
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The worker loop every stage service runs: lease a task from `work-rpc`,
/// heartbeat while the handler works (on a timer and when progress moves),
/// then complete or fail it. Survives SessionService restarts (calls fail
/// with UNAVAILABLE and are retried); on graceful shutdown it stops leasing
/// and lets running tasks finish, releasing them if the drain time runs out.
public final class StageWorker: Service, Sendable {
    public struct Configuration: Sendable {
        public var workerID: String
        /// Tasks run at once (`AURAL_*_CONCURRENCY`).
        public var concurrency: Int = 1
        /// Long-poll length of one Lease call.
        public var leaseWait: Duration = .seconds(2)
        /// Heartbeat at least this often; also bounded by a third of the lease.
        public var heartbeatInterval: Duration = .seconds(5)
        /// How long running tasks may go on after SIGTERM before they are released.
        public var drainTimeout: Duration = .seconds(30)

        public init(workerID: String) { self.workerID = workerID }

        public static func defaultWorkerID(stage: PipelineStage) -> String {
            "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(stage.rawValue)"
        }
    }

    private let handler: any StageHandler
    private let client: RPCClient
    private let publisher: Publisher
    private let blobs: LocalBlobStore
    private let configuration: Configuration
    private let logger: Logger
    private let shutdownStarted = Mutex<ContinuousClock.Instant?>(nil)

    public init(handler: any StageHandler, workRPC: String, eventsIn: String, blobs: LocalBlobStore,
                configuration: Configuration, logger: Logger) throws {
        self.handler = handler
        self.blobs = blobs
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
        var clientConfiguration = RPCClientConfiguration()
        clientConfiguration.maxInFlight = configuration.concurrency * 2 + 2
        client = try RPCClient(dialing: workRPC, configuration: clientConfiguration, logger: logger)
        publisher = try Publisher()
        try publisher.dial(eventsIn)
    }

    private var stopping: Bool { shutdownStarted.withLock { $0 != nil } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, configuration.concurrency) { group.addTask { await self.leaseLoop() } }
            }
        } onGracefulShutdown: {
            self.shutdownStarted.withLock { $0 = $0 ?? .now }
        }
        client.close()
        publisher.close()
    }

    private func leaseLoop() async {
        var backoff = Duration.milliseconds(100)
        while !stopping {
            var request = Aural_V1_LeaseRequest()
            request.stage = SessionWire.stage(handler.stage)
            request.workerID = configuration.workerID
            request.waitMs = UInt32(configuration.leaseWait / .milliseconds(1))
            let response: Aural_V1_LeaseResponse
            do {
                response = try await client.call(WorkQueueMethods.lease, request, timeout: configuration.leaseWait + .seconds(5))
                backoff = .milliseconds(100)
            } catch {
                // SessionService is down or restarting: try again, more slowly each time.
                logger.debug("lease failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
                continue
            }
            // A task leased as shutdown began is still run: the drain timeout bounds it.
            guard response.hasTask else { continue }
            await process(response)
        }
    }

    private func process(_ lease: Aural_V1_LeaseResponse) async {
        let task = lease.task
        var logger = self.logger
        logger[metadataKey: "job"] = "\(task.jobID)"
        logger[metadataKey: "task"] = "\(task.taskID)"
        logger.info("task started", metadata: ["stage": "\(handler.stage.rawValue)", "attempt": "\(task.attempt)"])
        let progress = StageProgress { [publisher] percent in
            var event = Aural_V1_TaskProgressEvent()
            event.taskID = task.taskID
            event.jobID = task.jobID
            event.progress.stage = task.stage
            event.progress.percent = Float(percent)
            try? publisher.publish(event, topic: "task.\(task.taskID)")
        }
        let heartbeats = Task { await heartbeatLoop(lease, progress: progress, logger: logger) }
        let started = ContinuousClock.now
        let result: Result<StageOutput, any Error>
        do { result = .success(try await handler.run(task, progress: progress)) } catch { result = .failure(error) }
        heartbeats.cancel()
        await heartbeats.value

        switch (result, progress.stopReason) {
        case (.success(let output), nil):
            await complete(lease, output: output, logger: logger)
            logger.info("task completed", metadata: ["seconds": "\(ContinuousClock.now - started)"])
        case (_, .jobCancelled?), (_, .leaseLost?):
            logger.notice("task stopped", metadata: ["reason": "\(progress.stopReason!)"])
        case (_, .shuttingDown?):
            await report(fail: lease, message: "worker shut down before the task finished", retryable: true)
        case (.failure(let error), nil):
            let failure = error as? StageFailure ?? StageFailure("\(error)", retryable: true)
            logger.warning("task failed", metadata: ["error": "\(failure.message)", "retryable": "\(failure.retryable)"])
            await report(fail: lease, message: failure.message, retryable: failure.retryable)
        }
    }

    /// Extends the lease every `heartbeatInterval` (at most a third of the
    /// lease), and early — at most once a second — when progress moved.
    private func heartbeatLoop(_ lease: Aural_V1_LeaseResponse, progress: StageProgress, logger: Logger) async {
        let leaseLength = Duration.milliseconds(max(300, lease.leaseExpiresUnixMs - UnixTime.nowMilliseconds()))
        let interval = min(configuration.heartbeatInterval, leaseLength / 3)
        var lastBeat = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: min(interval, .milliseconds(250)))
            if let started = shutdownStarted.withLock({ $0 }), ContinuousClock.now - started > configuration.drainTimeout {
                progress.stop(.shuttingDown)
            }
            let sinceLast = ContinuousClock.now - lastBeat
            guard sinceLast >= interval || (sinceLast >= .seconds(1) && progress.takeProgressChange() != nil) else { continue }
            var request = Aural_V1_HeartbeatRequest()
            request.taskID = lease.task.taskID
            request.leaseToken = lease.leaseToken
            request.progress = Float(progress.percent)
            do {
                let response = try await client.call(WorkQueueMethods.heartbeat, request, timeout: interval)
                lastBeat = .now
                if response.cancelled { progress.stop(.jobCancelled) }
            } catch where error.code == .notFound || error.code == .failedPrecondition {
                logger.warning("lease lost", metadata: ["error": "\(error)"])
                progress.stop(.leaseLost)
            } catch {
                logger.debug("heartbeat failed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Reports the result, retrying while SessionService is unreachable.
    /// A job deleted meanwhile (NOT_FOUND) takes our outputs with it.
    private func complete(_ lease: Aural_V1_LeaseResponse, output: StageOutput, logger: Logger) async {
        var request = Aural_V1_CompleteRequest()
        request.taskID = lease.task.taskID
        request.leaseToken = lease.leaseToken
        request.artifacts = output.artifacts
        request.summary = output.summary
        do {
            try await untilReachable { [request] in _ = try await self.client.call(WorkQueueMethods.complete, request) }
        } catch let error as RPCError where error.code == .notFound {
            for artifact in output.artifacts { try? blobs.delete(artifact.key) }
            logger.notice("job deleted while its task ran; outputs removed")
        } catch {
            logger.warning("completion refused", metadata: ["error": "\(error)"])
        }
    }

    private func report(fail lease: Aural_V1_LeaseResponse, message: String, retryable: Bool) async {
        var request = Aural_V1_FailRequest()
        request.taskID = lease.task.taskID
        request.leaseToken = lease.leaseToken
        request.error.code = .internal
        request.error.message = message
        request.retryable = retryable
        do { try await untilReachable { [request] in _ = try await self.client.call(WorkQueueMethods.fail, request) } } catch {
            logger.warning("failure report refused", metadata: ["error": "\(error)"])
        }
    }

    /// Retries `call` on UNAVAILABLE / DEADLINE_EXCEEDED for up to a minute.
    private func untilReachable(_ call: @Sendable () async throws -> Void) async throws {
        let giveUp = ContinuousClock.now + .seconds(60)
        while true {
            do { return try await call() } catch let error as RPCError
                where (error.code == .unavailable || error.code == .deadlineExceeded) && ContinuousClock.now < giveUp {
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
