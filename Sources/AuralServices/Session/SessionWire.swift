import AuralRPC
import AuralSession
import AuralStore
import AuralWire

/// Mapping between AuralSession's records and the wire messages.
enum SessionWire {
    static func stage(_ stage: PipelineStage) -> Aural_V1_Stage {
        switch stage {
        case .separation: .separation
        case .transcription: .transcription
        case .chords: .chords
        case .speech: .speech
        case .embedding: .embedding
        }
    }

    static func stage(_ stage: Aural_V1_Stage) throws(RPCError) -> PipelineStage {
        switch stage {
        case .separation: .separation
        case .transcription: .transcription
        case .chords: .chords
        case .speech: .speech
        case .embedding: .embedding
        default: throw .invalidArgument("unknown stage \(stage)")
        }
    }

    static func status(_ state: JobState) -> Aural_V1_JobStatus {
        switch state {
        case .queued: .queued
        case .processing: .processing
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    static func state(_ status: Aural_V1_JobStatus) -> JobState? {
        switch status {
        case .queued: .queued
        case .processing: .processing
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        default: nil
        }
    }

    static func blob(_ reference: BlobReference) -> Aural_V1_BlobRef {
        var blob = Aural_V1_BlobRef()
        blob.key = reference.key
        blob.contentType = reference.contentType
        blob.size = reference.size
        blob.sha256 = reference.sha256
        return blob
    }

    static func reference(_ blob: Aural_V1_BlobRef) -> BlobReference {
        BlobReference(key: blob.key, contentType: blob.contentType, size: blob.size, sha256: blob.sha256)
    }

    static func descriptor(_ audio: AudioSummary) -> Aural_V1_AudioDescriptor {
        var descriptor = Aural_V1_AudioDescriptor()
        descriptor.durationSeconds = audio.duration
        descriptor.sampleRate = UInt32(audio.sampleRate)
        descriptor.channels = UInt32(audio.channels)
        descriptor.format = audio.format
        descriptor.frames = UInt64(max(0, audio.frames))
        return descriptor
    }

    static func summary(_ descriptor: Aural_V1_AudioDescriptor) -> AudioSummary {
        AudioSummary(duration: descriptor.durationSeconds, sampleRate: Int(descriptor.sampleRate), channels: Int(descriptor.channels),
                     format: descriptor.format, frames: Int64(descriptor.frames))
    }

    static func similaritySession(_ record: SimilaritySessionRecord) -> Aural_V1_SimilaritySession {
        var session = Aural_V1_SimilaritySession()
        session.sessionID = record.id
        session.referenceText = record.referenceText
        session.metadata = record.metadata
        if let audio = record.audio { session.audio = blob(audio) }
        if let summary = record.audioSummary { session.audioDescriptor = descriptor(summary) }
        session.createdAtUnixMs = record.createdAtMs
        session.updatedAtUnixMs = record.updatedAtMs
        session.resultJson = record.resultJSON ?? ""
        return session
    }

    static func job(_ record: JobRecord) -> Aural_V1_Job {
        var job = Aural_V1_Job()
        job.jobID = record.id
        job.status = status(record.state)
        if let current = record.stage { job.stage = stage(current) }
        job.progress = Float(record.progress)
        job.createdAtUnixMs = record.createdAtMs
        job.startedAtUnixMs = record.startedAtMs ?? 0
        job.completedAtUnixMs = record.completedAtMs ?? 0
        job.errorMessage = record.errorMessage ?? ""
        job.inputFilename = record.inputFilename
        job.fileSize = record.input.size
        if let audio = record.audio { job.audio = descriptor(audio) }
        job.input = blob(record.input)
        job.artifacts = record.artifacts.map { blob($0.blob) }
        job.etaSeconds = record.estimatedSecondsRemaining(now: UnixTime.nowMilliseconds()) ?? -1
        job.metadata = record.metadata
        job.options = record.options
        return job
    }

    static func task(_ leased: LeasedTask) -> Aural_V1_Task {
        var task = Aural_V1_Task()
        task.taskID = leased.taskID
        task.jobID = leased.jobID
        task.stage = stage(leased.stage)
        task.attempt = UInt32(leased.attempt)
        task.input = blob(leased.input)
        task.outputPrefix = leased.outputPrefix
        task.inputs = leased.inputs.map { blob($0.blob) }
        task.options = leased.options
        return task
    }

    static func event(_ record: JobEventRecord) -> Aural_V1_JobEvent {
        var event = Aural_V1_JobEvent()
        event.jobID = record.jobID
        event.sequence = record.sequence
        event.timeUnixMs = record.timeMs
        switch record.kind {
        case .progress(let current, let stagePercent, let jobPercent):
            var progress = Aural_V1_JobProgressEvent()
            progress.stageProgress.stage = stage(current)
            progress.stageProgress.percent = Float(stagePercent)
            progress.jobPercent = Float(jobPercent)
            event.progress = progress
        case .stageChanged(let current, let state):
            var changed = Aural_V1_StageChangedEvent()
            changed.stage = stage(current)
            changed.status = status(state)
            event.stage = changed
        case .completed(let artifacts):
            var completed = Aural_V1_JobCompletedEvent()
            completed.artifacts = artifacts.map { blob($0.blob) }
            event.completed = completed
        case .failed(let failedStage, let message):
            var failed = Aural_V1_JobFailedEvent()
            if let failedStage { failed.stage = stage(failedStage) }
            failed.errorMessage = message
            event.failed = failed
        case .cancelled:
            event.cancelled = Aural_V1_JobCancelledEvent()
        }
        return event
    }

    static func rpcError(_ error: QueueError) -> RPCError {
        switch error {
        case .notFound(let message): .notFound(message)
        case .leaseLost(let message), .conflict(let message): .failedPrecondition(message)
        case .invalid(let message): .invalidArgument(message)
        }
    }

    /// Runs a store call, mapping its errors to status codes (database
    /// failures become UNAVAILABLE: the caller may retry).
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as QueueError {
            throw rpcError(error)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError.unavailable("database: \(error)")
        }
    }
}
