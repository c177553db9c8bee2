import AuralRPC
import AuralSession
import AuralWire
import Foundation

public enum WorkQueueMethods {
    public static let lease = RPCMethod<Aural_V1_LeaseRequest, Aural_V1_LeaseResponse>("aural.v1.WorkQueue/Lease", idempotent: false)
    /// Idempotent: repeating a heartbeat only extends the lease again.
    public static let heartbeat = RPCMethod<Aural_V1_HeartbeatRequest, Aural_V1_HeartbeatResponse>(
        "aural.v1.WorkQueue/Heartbeat", idempotent: true)
    public static let complete = RPCMethod<Aural_V1_CompleteRequest, Aural_V1_CompleteResponse>(
        "aural.v1.WorkQueue/Complete", idempotent: false)
    public static let fail = RPCMethod<Aural_V1_FailRequest, Aural_V1_FailResponse>("aural.v1.WorkQueue/Fail", idempotent: false)
}

/// SessionService's `work-rpc`: the queue stage workers pull from.
public struct WorkQueueRPCService: Sendable {
    let store: JobStore
    let hub: EventHub
    let availability: TaskAvailability
    /// Longest long-poll, whatever the worker asks for.
    let maxWait: Duration

    public init(store: JobStore, hub: EventHub, availability: TaskAvailability, maxWait: Duration = .seconds(30)) {
        self.store = store
        self.hub = hub
        self.availability = availability
        self.maxWait = maxWait
    }

    public func register(on router: inout RPCRouter) {
        router.register(WorkQueueMethods.lease) { request, call in try await lease(request, call: call) }
        router.register(WorkQueueMethods.heartbeat) { request, _ in try await heartbeat(request) }
        router.register(WorkQueueMethods.complete) { request, _ in try await complete(request) }
        router.register(WorkQueueMethods.fail) { request, _ in try await fail(request) }
    }

    func lease(_ request: Aural_V1_LeaseRequest, call: RPCCallContext) async throws -> Aural_V1_LeaseResponse {
        let stage = try SessionWire.stage(request.stage)
        guard !request.workerID.isEmpty else { throw RPCError.invalidArgument("worker_id is required") }
        // Answer before the caller's deadline, leaving room for the reply.
        let wait = min(Duration.milliseconds(Int64(request.waitMs)), maxWait)
        let end = min(ContinuousClock.now + wait, call.deadline - .milliseconds(200))
        while true {
            if let outcome = try await SessionWire.mapped({ try await store.lease(stage: stage, workerID: request.workerID) }) {
                hub.publish(outcome.events)
                var response = Aural_V1_LeaseResponse()
                response.task = SessionWire.task(outcome.task)
                response.leaseToken = outcome.task.leaseToken
                response.leaseExpiresUnixMs = outcome.task.leaseExpiresAtMs
                return response
            }
            let remaining = end - ContinuousClock.now
            guard remaining > .zero else { return Aural_V1_LeaseResponse() }
            // Re-check at least once a second: retries become runnable by time, not by notification.
            await availability.wait(for: stage, timeout: min(remaining, .seconds(1)))
        }
    }

    func heartbeat(_ request: Aural_V1_HeartbeatRequest) async throws -> Aural_V1_HeartbeatResponse {
        let outcome = try await SessionWire.mapped {
            try await store.heartbeat(taskID: request.taskID, leaseToken: request.leaseToken)
        }
        if !outcome.cancelled && request.progress > 0 {
            await hub.recordProgress(jobID: outcome.jobID, stage: outcome.stage, percent: Double(request.progress))
        }
        var response = Aural_V1_HeartbeatResponse()
        response.leaseExpiresUnixMs = outcome.expiresAtMs
        response.cancelled = outcome.cancelled
        return response
    }

    func complete(_ request: Aural_V1_CompleteRequest) async throws -> Aural_V1_CompleteResponse {
        let outcome = try await SessionWire.mapped {
            try await store.complete(
                taskID: request.taskID, leaseToken: request.leaseToken,
                outputs: request.artifacts.map(SessionWire.reference), summary: request.summary)
        }
        finish(outcome)
        return Aural_V1_CompleteResponse()
    }

    func fail(_ request: Aural_V1_FailRequest) async throws -> Aural_V1_FailResponse {
        let message = request.error.message.isEmpty ? "unknown error" : request.error.message
        let outcome = try await SessionWire.mapped {
            try await store.fail(taskID: request.taskID, leaseToken: request.leaseToken, message: message, retryable: request.retryable)
        }
        finish(outcome)
        var response = Aural_V1_FailResponse()
        response.willRetry = outcome.willRetry
        return response
    }

    private func finish(_ outcome: JobStore.FinishOutcome) {
        hub.publish(outcome.events)
        availability.notify(outcome.runnableStages)
    }
}
