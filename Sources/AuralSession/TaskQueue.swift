import AuralStore
import Foundation

/// The durable task queue: lease, heartbeat, complete, fail, and the reaper
/// that returns expired leases. A lease is proven by its token; any call with
/// a token that no longer holds the task changes nothing.
extension JobStore {
    public struct LeaseOutcome: Sendable {
        public var task: LeasedTask
        public var events: [JobEventRecord]
    }

    public struct HeartbeatOutcome: Sendable, Equatable {
        public var jobID: String
        public var stage: PipelineStage
        public var expiresAtMs: Int64
        /// The job was cancelled: the worker should stop and report nothing.
        public var cancelled: Bool
    }

    public struct FinishOutcome: Sendable {
        public var events: [JobEventRecord]
        /// Stages that became runnable (to wake their long-polling workers).
        public var runnableStages: [PipelineStage]
        public var willRetry: Bool
        public var jobFinished: Bool
    }

    /// Hands the oldest runnable task of `stage` to `workerID`, or nil.
    public func lease(stage: PipelineStage, workerID: String, now: Int64 = UnixTime.nowMilliseconds()) async throws -> LeaseOutcome? {
        let token = UUID().uuidString.lowercased()
        let expires = now + configuration.leaseMilliseconds
        return try await database.write(durability: .relaxed) { db -> LeaseOutcome? in
            // PostgreSQL: concurrent leasers skip each other's locked rows
            // instead of queueing on them. SQLite: BEGIN IMMEDIATE already
            // made this transaction the only writer.
            let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            guard let leased = try db.query("""
                UPDATE tasks SET status = 'leased', attempts = attempts + 1, lease_owner = $2, lease_token = $3,
                    lease_expires_at_ms = $4, progress = 0, updated_at_ms = $5
                WHERE id = (SELECT id FROM tasks WHERE stage = $1 AND status = 'queued' AND available_at_ms <= $5
                            ORDER BY queued_at_ms, id LIMIT 1\(skipLocked))
                RETURNING id, job_id, attempts, depends_on
                """, .text(stage.rawValue), .text(workerID), .text(token), .integer(expires), .integer(now)).first
            else { return nil }
            let jobID = try leased.string("job_id")
            guard let jobRow = try db.query("SELECT * FROM jobs WHERE id = $1\(Self.lockSuffix(db))", .text(jobID)).first else {
                throw QueueError.notFound("task \(try leased.string("id")) has no job")
            }
            let job = try Self.jobRecord(jobRow)
            var events: [JobEventRecord] = []
            if job.state != .processing || job.stage != stage {
                try db.query("""
                    UPDATE jobs SET status = 'processing', stage = $2, started_at_ms = COALESCE(started_at_ms, $3), updated_at_ms = $3
                    WHERE id = $1
                    """, .text(jobID), .text(stage.rawValue), .integer(now))
                events.append(try record(.stageChanged(stage: stage, state: .processing), jobID: jobID, now: now, db))
            }
            let dependencies = Set(try leased.string("depends_on").split(separator: ",").map(String.init))
            let inputs = dependencies.isEmpty ? [] : try Self.artifacts(of: jobID, db).filter { dependencies.contains($0.stage.rawValue) }
            let task = LeasedTask(
                taskID: try leased.string("id"), jobID: jobID, stage: stage, attempt: Int(try leased.int("attempts")),
                leaseToken: token, leaseExpiresAtMs: expires, input: job.input, inputFilename: job.inputFilename,
                outputPrefix: "jobs/\(jobID)", inputs: inputs, options: job.options)
            return LeaseOutcome(task: task, events: events)
        }
    }

    /// Extends the lease. Throws `leaseLost` when the token no longer holds
    /// the task and `notFound` when the task is gone (its job was deleted).
    public func heartbeat(taskID: String, leaseToken: String, now: Int64 = UnixTime.nowMilliseconds()) async throws -> HeartbeatOutcome {
        let expires = now + configuration.leaseMilliseconds
        return try await database.write(durability: .relaxed) { db in
            let extended = try db.query("""
                UPDATE tasks SET lease_expires_at_ms = $3, updated_at_ms = $4
                WHERE id = $1 AND lease_token = $2 AND status = 'leased' AND lease_expires_at_ms >= $4
                RETURNING job_id, stage
                """, .text(taskID), .text(leaseToken), .integer(expires), .integer(now))
            if let row = extended.first, let stage = PipelineStage(rawValue: try row.string("stage")) {
                return HeartbeatOutcome(jobID: try row.string("job_id"), stage: stage, expiresAtMs: expires, cancelled: false)
            }
            let task = try Self.lockedTask(taskID, db)
            if task.status == .cancelled && task.token == leaseToken {
                return HeartbeatOutcome(jobID: task.jobID, stage: task.stage, expiresAtMs: 0, cancelled: true)
            }
            throw QueueError.leaseLost("task \(taskID) is no longer leased with this token")
        }
    }

    /// Finishes a task: records its artifacts and summary, queues the stages
    /// that waited for it and, after the last one, completes the job.
    /// Outputs must lie under the job's prefix `jobs/{job_id}/`; the rest of
    /// the key names the artifact (`stems/vocals.mp3`).
    public func complete(
        taskID: String, leaseToken: String, outputs: [BlobReference], summary: [String: String],
        now: Int64 = UnixTime.nowMilliseconds()
    ) async throws -> FinishOutcome {
        try await database.write(durability: .relaxed) { db in
            let task = try Self.lockedTask(taskID, db)
            try task.checkHeld(by: leaseToken, now: now)
            let prefix = "jobs/\(task.jobID)/"
            let artifacts = try outputs.map { output in
                guard output.key.hasPrefix(prefix), output.key.count > prefix.count else {
                    throw QueueError.invalid("output \(output.key) is outside the job's prefix \(prefix)")
                }
                return Artifact(name: String(output.key.dropFirst(prefix.count)), stage: task.stage, blob: output)
            }
            try db.query("""
                UPDATE tasks SET status = 'completed', progress = 100, result = $2, updated_at_ms = $3 WHERE id = $1
                """, .text(taskID), .text(Self.encodeMetadata(summary)), .integer(now))
            for artifact in artifacts {
                try db.query("""
                    INSERT INTO artifacts (job_id, name, stage, blob_key, content_type, size, sha256, created_at_ms)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (job_id, name) DO UPDATE SET stage = excluded.stage, blob_key = excluded.blob_key,
                        content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256,
                        created_at_ms = excluded.created_at_ms
                    """, .text(task.jobID), .text(artifact.name), .text(task.stage.rawValue), .text(artifact.blob.key),
                    .text(artifact.blob.contentType), .int(artifact.blob.size), .text(artifact.blob.sha256), .integer(now))
            }
            return try advance(jobID: task.jobID, summary: summary, now: now, db)
        }
    }

    /// Records a failed attempt. A retryable failure with attempts left goes
    /// back to the queue after a backoff; otherwise the job fails.
    public func fail(
        taskID: String, leaseToken: String, message: String, retryable: Bool,
        now: Int64 = UnixTime.nowMilliseconds()
    ) async throws -> FinishOutcome {
        try await database.write(durability: .relaxed) { db in
            let task = try Self.lockedTask(taskID, db)
            try task.checkHeld(by: leaseToken, now: now)
            if retryable && task.attempts < task.maxAttempts {
                try requeue(task, error: message, now: now, db)
                return FinishOutcome(events: [], runnableStages: [], willRetry: true, jobFinished: false)
            }
            let events = try failJob(task, message: message, now: now, db)
            return FinishOutcome(events: events, runnableStages: [], willRetry: false, jobFinished: true)
        }
    }

    /// Returns expired leases to the queue, or fails their jobs once the
    /// attempts are spent. SessionService calls it on a timer.
    public func reapExpiredLeases(now: Int64 = UnixTime.nowMilliseconds()) async throws -> FinishOutcome {
        try await database.write(durability: .relaxed) { db in
            let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let expired = try db.query("""
                SELECT * FROM tasks WHERE status = 'leased' AND lease_expires_at_ms < $1 ORDER BY lease_expires_at_ms LIMIT 100\(skipLocked)
                """, .integer(now)).map(TaskRow.init)
            var outcome = FinishOutcome(events: [], runnableStages: [], willRetry: false, jobFinished: false)
            for task in expired {
                let message = "lease of \(task.stage.rawValue) attempt \(task.attempts) expired (worker \(task.owner) stopped answering)"
                if task.attempts < task.maxAttempts {
                    try requeue(task, error: message, now: now, db, backoff: false)
                    outcome.runnableStages.append(task.stage)
                    outcome.willRetry = true
                } else {
                    outcome.events += try failJob(task, message: message, now: now, db)
                    outcome.jobFinished = true
                }
            }
            return outcome
        }
    }

    /// Tasks waiting to run (queued or blocked), per stage, for overload checks.
    public func queueDepth(stage: PipelineStage) async throws -> Int {
        try await database.read { db in
            Int(try db.query("""
                SELECT COUNT(*) AS depth FROM tasks WHERE stage = $1 AND status IN ('queued', 'blocked')
                """, .text(stage.rawValue)).first?.int("depth") ?? 0)
        }
    }

    // MARK: - Steps inside a transaction

    private func requeue(_ task: TaskRow, error: String, now: Int64, _ db: SQLConnection, backoff: Bool = true) throws {
        let delay = backoff ? configuration.retryBackoffMilliseconds << Int64(max(0, min(task.attempts - 1, 10))) : 0
        try db.query("""
            UPDATE tasks SET status = 'queued', lease_token = NULL, lease_expires_at_ms = NULL, progress = 0,
                last_error = $2, available_at_ms = $3, queued_at_ms = $4, updated_at_ms = $4
            WHERE id = $1
            """, .text(task.id), .text(error), .integer(now + delay), .integer(now))
    }

    private func failJob(_ task: TaskRow, message: String, now: Int64, _ db: SQLConnection) throws -> [JobEventRecord] {
        try db.query("""
            UPDATE tasks SET status = 'failed', last_error = $2, updated_at_ms = $3 WHERE id = $1
            """, .text(task.id), .text(message), .integer(now))
        try Self.cancelUnfinishedTasks(of: task.jobID, now: now, db)
        let fullMessage = "\(task.stage.rawValue) failed after \(task.attempts) attempt\(task.attempts == 1 ? "" : "s"): \(message)"
        try db.query("""
            UPDATE jobs SET status = 'failed', stage = $2, error_message = $3, completed_at_ms = $4, updated_at_ms = $4
            WHERE id = $1 AND status IN ('queued', 'processing')
            """, .text(task.jobID), .text(task.stage.rawValue), .text(fullMessage), .integer(now))
        return [try record(.failed(stage: task.stage, message: fullMessage), jobID: task.jobID, now: now, db)]
    }

    /// After a task completes: merge its summary into the job's metadata,
    /// queue the blocked tasks whose dependencies are all complete and, when
    /// every task is complete, finalize the job.
    private func advance(jobID: String, summary: [String: String], now: Int64, _ db: SQLConnection) throws -> FinishOutcome {
        let tasks = try db.query("SELECT * FROM tasks WHERE job_id = $1", .text(jobID)).map(TaskRow.init)
        let completed = Set(tasks.filter { $0.status == .completed }.map(\.stage.rawValue))
        var runnable: [PipelineStage] = []
        for task in tasks where task.status == .blocked && task.dependsOn.allSatisfy(completed.contains) {
            try db.query("""
                UPDATE tasks SET status = 'queued', available_at_ms = $2, queued_at_ms = $2, updated_at_ms = $2 WHERE id = $1
                """, .text(task.id), .integer(now))
            runnable.append(task.stage)
        }
        let finished = completed.count == tasks.count
        var metadata: [String: String] = [:]
        if finished || !summary.isEmpty {
            let row = try db.query("SELECT metadata FROM jobs WHERE id = $1", .text(jobID)).first
            metadata = Self.decodeMetadata(try row?.string("metadata") ?? "{}").merging(summary) { _, new in new }
        }
        guard finished else {
            if !summary.isEmpty {
                try db.query("UPDATE jobs SET metadata = $2 WHERE id = $1", .text(jobID), .text(Self.encodeMetadata(metadata)))
            }
            try Self.updateJobProgress(jobID, now: now, db)
            return FinishOutcome(events: [], runnableStages: runnable, willRetry: false, jobFinished: false)
        }
        // Finalize: the job's metadata gains what every stage reported plus counts.
        let artifacts = try Self.artifacts(of: jobID, db)
        metadata["artifact_count"] = String(artifacts.count)
        try db.query("""
            UPDATE jobs SET status = 'completed', stage = '', progress = 100, metadata = $2, completed_at_ms = $3, updated_at_ms = $3
            WHERE id = $1 AND status = 'processing'
            """, .text(jobID), .text(Self.encodeMetadata(metadata)), .integer(now))
        let event = try record(.completed(artifacts: artifacts), jobID: jobID, now: now, db)
        return FinishOutcome(events: [event], runnableStages: [], willRetry: false, jobFinished: true)
    }

    static func lockedTask(_ taskID: String, _ db: SQLConnection) throws -> TaskRow {
        guard let row = try db.query("SELECT * FROM tasks WHERE id = $1\(lockSuffix(db))", .text(taskID)).first else {
            throw QueueError.notFound("no task \(taskID) (its job was deleted)")
        }
        return try TaskRow(row)
    }
}

struct TaskRow {
    let id: String
    let jobID: String
    let stage: PipelineStage
    let status: TaskState
    let dependsOn: [String]
    let attempts: Int
    let maxAttempts: Int
    let owner: String
    let token: String?
    let expiresAtMs: Int64?

    init(_ row: SQLRow) throws {
        id = try row.string("id")
        jobID = try row.string("job_id")
        let stageName = try row.string("stage")
        guard let stage = PipelineStage(rawValue: stageName) else { throw StoreError.decoding("unknown stage \(stageName)") }
        self.stage = stage
        status = TaskState(rawValue: try row.string("status")) ?? .failed
        dependsOn = try row.string("depends_on").split(separator: ",").map(String.init)
        attempts = Int(try row.int("attempts"))
        maxAttempts = Int(try row.int("max_attempts"))
        owner = try row.string("lease_owner")
        token = try row.optionalString("lease_token")
        expiresAtMs = try row.optionalInt("lease_expires_at_ms")
    }

    func checkHeld(by leaseToken: String, now: Int64) throws {
        guard status == .leased, token == leaseToken, let expiresAtMs, expiresAtMs >= now else {
            let reason = status == .cancelled ? "its job was cancelled"
                : status != .leased || token != leaseToken ? "it is \(status.rawValue) under another lease"
                : "the lease expired"
            throw QueueError.leaseLost("task \(id) is no longer held: \(reason)")
        }
    }
}
