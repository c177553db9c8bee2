import AuralStore
import Foundation

/// Jobs, their tasks, artifacts and event log, on either database. Every
/// method is one transaction; the queue operations live in TaskQueue.swift.
public struct JobStore: Sendable {
    public struct Configuration: Sendable {
        /// How long a lease lasts without a heartbeat.
        public var leaseMilliseconds: Int64 = 30_000
        /// Attempts per task before its job fails.
        public var maxAttempts: Int = 3
        /// Delay before a failed attempt runs again; doubles per attempt.
        public var retryBackoffMilliseconds: Int64 = 1_000

        public init() {}
    }

    public let database: Database
    public let configuration: Configuration
    public let sequencer: EventSequencer

    public init(database: Database, configuration: Configuration = .init(), sequencer: EventSequencer = .init()) {
        self.database = database
        self.configuration = configuration
        self.sequencer = sequencer
    }

    // MARK: - Jobs

    public func createJob(_ job: NewJob, now: Int64 = UnixTime.nowMilliseconds()) async throws -> JobRecord {
        let stages = job.stages.isEmpty ? Pipeline.music : job.stages
        guard Set(stages).count == stages.count else { throw QueueError.invalid("a stage appears twice") }
        let id = job.id ?? UUID().uuidString.lowercased()
        let maxAttempts = configuration.maxAttempts
        try await database.write { db in
            try db.query("""
                INSERT INTO jobs (id, status, input_key, input_content_type, input_size, input_sha256, input_filename,
                    audio_duration, audio_sample_rate, audio_channels, audio_format, audio_frames, created_at_ms, updated_at_ms, options)
                VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)
                """,
                .text(id), .text(job.input.key), .text(job.input.contentType), .int(job.input.size), .text(job.input.sha256),
                .text(job.inputFilename), job.audio.map { .real($0.duration) } ?? nil, .optionalInt(job.audio?.sampleRate),
                .optionalInt(job.audio?.channels), .optionalText(job.audio?.format), .optionalInt(job.audio?.frames), .integer(now),
                .text(Self.encodeMetadata(job.options)))
            for stage in stages {
                let dependencies = Pipeline.dependencies(of: stage, among: stages)
                try db.query("""
                    INSERT INTO tasks (id, job_id, stage, status, depends_on, weight, max_attempts, available_at_ms, queued_at_ms, updated_at_ms)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)
                    """,
                    .text(UUID().uuidString.lowercased()), .text(id), .text(stage.rawValue),
                    .text((dependencies.isEmpty ? TaskState.queued : .blocked).rawValue),
                    .text(dependencies.map(\.rawValue).joined(separator: ",")), .real(Pipeline.weight(of: stage)),
                    .int(maxAttempts), .integer(now))
            }
        }
        guard let record = try await self.job(id) else { throw QueueError.notFound("job \(id) vanished") }
        return record
    }

    public func job(_ id: String) async throws -> JobRecord? {
        try await database.read { db in
            guard let row = try db.query("SELECT * FROM jobs WHERE id = $1", .text(id)).first else { return nil }
            var job = try Self.jobRecord(row)
            job.artifacts = try Self.artifacts(of: id, db)
            return job
        }
    }

    /// Newest first. The cursor is opaque to callers: the position of the
    /// last job returned.
    public func listJobs(limit: Int, cursor: String?, state: JobState?) async throws -> (jobs: [JobRecord], nextCursor: String?) {
        let limit = min(max(limit, 1), 100)
        var after: (createdAtMs: Int64, id: String) = (.max, "")
        if let cursor, !cursor.isEmpty {
            let parts = cursor.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, let time = Int64(parts[0]) else { throw QueueError.invalid("malformed cursor") }
            after = (time, String(parts[1]))
        }
        let filter = state == nil ? "" : "status = $4 AND "
        let sql = """
            SELECT * FROM jobs WHERE \(filter)(created_at_ms < $1 OR (created_at_ms = $1 AND id < $2))
            ORDER BY created_at_ms DESC, id DESC LIMIT $3
            """
        var parameters: [SQLValue] = [.integer(after.createdAtMs), .text(after.id), .int(limit + 1)]
        if let state { parameters.append(.text(state.rawValue)) }
        let boundParameters = parameters
        let rows = try await database.read { db in try db.query(sql, boundParameters).map(Self.jobRecord) }
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { "\($0.createdAtMs)_\($0.id)" } : nil
        return (page, next)
    }

    /// Cancels a queued or running job: nothing more is dispatched and the
    /// running workers learn it from their next heartbeat.
    public func cancelJob(_ id: String, now: Int64 = UnixTime.nowMilliseconds()) async throws -> (JobRecord, [JobEventRecord]) {
        let events = try await database.write { db -> [JobEventRecord] in
            guard let row = try db.query("SELECT status FROM jobs WHERE id = $1\(Self.lockSuffix(db))", .text(id)).first else {
                throw QueueError.notFound("no job \(id)")
            }
            let state = JobState(rawValue: try row.string("status")) ?? .failed
            guard !state.isFinished else { throw QueueError.conflict("job \(id) is already \(state.rawValue)") }
            try db.query("""
                UPDATE jobs SET status = 'cancelled', stage = '', completed_at_ms = $2, updated_at_ms = $2 WHERE id = $1
                """, .text(id), .integer(now))
            try Self.cancelUnfinishedTasks(of: id, now: now, db)
            return [try record(.cancelled, jobID: id, now: now, db)]
        }
        guard let job = try await self.job(id) else { throw QueueError.notFound("no job \(id)") }
        return (job, events)
    }

    /// Deletes the job's rows. The caller deletes its blobs first (so a
    /// crash in between leaves a row to retry from, never orphaned files).
    @discardableResult
    public func deleteJobRows(_ id: String) async throws -> Bool {
        try await database.write { db in
            for table in ["events", "artifacts", "tasks"] {
                try db.query("DELETE FROM \(table) WHERE job_id = $1", .text(id))
            }
            return !(try db.query("DELETE FROM jobs WHERE id = $1 RETURNING id", .text(id)).isEmpty)
        }
    }

    /// Finished jobs whose completion is older than `cutoff`, for retention.
    public func finishedJobs(before cutoffMs: Int64, limit: Int = 500) async throws -> [String] {
        try await database.read { db in
            try db.query("""
                SELECT id FROM jobs WHERE completed_at_ms IS NOT NULL AND completed_at_ms < $1
                AND status IN ('completed', 'failed', 'cancelled') ORDER BY completed_at_ms LIMIT $2
                """, .integer(cutoffMs), .int(limit)).map { try $0.string("id") }
        }
    }

    /// Lifecycle events after `sequence`, oldest first (for resuming a stream).
    public func events(of jobID: String, after sequence: UInt64) async throws -> [JobEventRecord] {
        try await database.read { db in
            try db.query("""
                SELECT * FROM events WHERE job_id = $1 AND sequence > $2 ORDER BY sequence
                """, .text(jobID), .integer(Int64(bitPattern: sequence))).map(Self.eventRecord)
        }
    }

    /// Progress of running tasks (from heartbeats and progress events),
    /// written at most once a second per job by the caller.
    public func saveProgress(jobID: String, stages: [PipelineStage: Double], now: Int64 = UnixTime.nowMilliseconds()) async throws {
        try await database.write { db in
            for (stage, percent) in stages {
                try db.query("""
                    UPDATE tasks SET progress = $3, updated_at_ms = $4 WHERE job_id = $1 AND stage = $2 AND status = 'leased'
                    """, .text(jobID), .text(stage.rawValue), .real(percent), .integer(now))
            }
            try Self.updateJobProgress(jobID, now: now, db)
        }
    }

    /// The weight and progress of each task of a running job (for progress
    /// events); nil once the job is not running.
    public func taskProgress(of jobID: String) async throws -> [PipelineStage: (weight: Double, percent: Double)]? {
        try await database.read { db in
            let status = try db.query("SELECT status FROM jobs WHERE id = $1", .text(jobID)).first?.string("status")
            guard status == JobState.processing.rawValue else { return nil }
            var result: [PipelineStage: (weight: Double, percent: Double)] = [:]
            for row in try db.query("SELECT stage, weight, status, progress FROM tasks WHERE job_id = $1", .text(jobID)) {
                guard let stage = PipelineStage(rawValue: try row.string("stage")) else { continue }
                let done = try row.string("status") == TaskState.completed.rawValue
                result[stage] = (try row.double("weight"), done ? 100 : try row.double("progress"))
            }
            return result
        }
    }

    // MARK: - Shared steps (inside a transaction)

    static func lockSuffix(_ db: SQLConnection) -> String {
        db.dialect == .postgres ? " FOR UPDATE" : ""  // SQLite's BEGIN IMMEDIATE already serializes writers
    }

    static func cancelUnfinishedTasks(of jobID: String, now: Int64, _ db: SQLConnection) throws {
        try db.query("""
            UPDATE tasks SET status = 'cancelled', updated_at_ms = $2
            WHERE job_id = $1 AND status IN ('blocked', 'queued', 'leased')
            """, .text(jobID), .integer(now))
    }

    static func updateJobProgress(_ jobID: String, now: Int64, _ db: SQLConnection) throws {
        try db.query("""
            UPDATE jobs SET updated_at_ms = $2, progress = (
                SELECT SUM(weight * CASE WHEN status = 'completed' THEN 100 ELSE progress END) / SUM(weight)
                FROM tasks WHERE job_id = $1)
            WHERE id = $1 AND status = 'processing'
            """, .text(jobID), .integer(now))
    }

    /// Appends a lifecycle event to the log and returns it for publishing.
    func record(_ kind: JobEventRecord.Kind, jobID: String, now: Int64, _ db: SQLConnection) throws -> JobEventRecord {
        let event = JobEventRecord(jobID: jobID, sequence: sequencer.next(), timeMs: now, kind: kind)
        var stage = "", status = "", message = ""
        let name: String
        switch kind {
        case .progress(let progressStage, _, _): name = "progress"; stage = progressStage.rawValue
        case .stageChanged(let changed, let state): name = "stage"; stage = changed.rawValue; status = state.rawValue
        case .completed: name = "completed"; status = JobState.completed.rawValue
        case .failed(let failed, let error): name = "failed"; stage = failed?.rawValue ?? ""; message = error; status = JobState.failed.rawValue
        case .cancelled: name = "cancelled"; status = JobState.cancelled.rawValue
        }
        try db.query("""
            INSERT INTO events (job_id, sequence, kind, stage, status, message, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, .text(jobID), .integer(Int64(bitPattern: event.sequence)), .text(name), .text(stage), .text(status),
            .text(message), .integer(now))
        return event
    }

    static func artifacts(of jobID: String, _ db: SQLConnection) throws -> [Artifact] {
        try db.query("SELECT * FROM artifacts WHERE job_id = $1 ORDER BY name", .text(jobID)).map { row in
            Artifact(
                name: try row.string("name"),
                stage: PipelineStage(rawValue: try row.string("stage")) ?? .separation,
                blob: BlobReference(
                    key: try row.string("blob_key"), contentType: try row.string("content_type"),
                    size: UInt64(max(0, try row.int("size"))), sha256: try row.string("sha256")))
        }
    }

    static func jobRecord(_ row: SQLRow) throws -> JobRecord {
        let audio = try audioSummary(row)
        let stage = try row.string("stage")
        let error = try row.string("error_message")
        return JobRecord(
            id: try row.string("id"),
            state: JobState(rawValue: try row.string("status")) ?? .failed,
            stage: PipelineStage(rawValue: stage),
            progress: try row.double("progress"),
            input: BlobReference(
                key: try row.string("input_key"), contentType: try row.string("input_content_type"),
                size: UInt64(max(0, try row.int("input_size"))), sha256: try row.string("input_sha256")),
            inputFilename: try row.string("input_filename"),
            audio: audio,
            metadata: decodeMetadata(try row.string("metadata")),
            options: decodeMetadata(try row.string("options")),
            errorMessage: error.isEmpty ? nil : error,
            createdAtMs: try row.int("created_at_ms"),
            startedAtMs: try row.optionalInt("started_at_ms"),
            completedAtMs: try row.optionalInt("completed_at_ms"),
            artifacts: [])
    }

    static func eventRecord(_ row: SQLRow) throws -> JobEventRecord {
        let stage = PipelineStage(rawValue: try row.string("stage"))
        let kind: JobEventRecord.Kind
        switch try row.string("kind") {
        case "stage": kind = .stageChanged(stage: stage ?? .separation, state: JobState(rawValue: try row.string("status")) ?? .processing)
        case "completed": kind = .completed(artifacts: [])
        case "failed": kind = .failed(stage: stage, message: try row.string("message"))
        case "cancelled": kind = .cancelled
        default: kind = .progress(stage: stage ?? .separation, stagePercent: 0, jobPercent: 0)
        }
        return JobEventRecord(
            jobID: try row.string("job_id"), sequence: UInt64(bitPattern: try row.int("sequence")),
            timeMs: try row.int("created_at_ms"), kind: kind)
    }

    /// The `audio_*` columns jobs and similarity sessions share.
    static func audioSummary(_ row: SQLRow) throws -> AudioSummary? {
        guard let format = try row.optionalString("audio_format") else { return nil }
        return AudioSummary(
            duration: try row.double("audio_duration"), sampleRate: Int(try row.int("audio_sample_rate")),
            channels: Int(try row.int("audio_channels")), format: format, frames: try row.int("audio_frames"))
    }

    static func decodeMetadata(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encodeMetadata(_ metadata: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(metadata)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
