import AuralAudio
import AuralBlob
import AuralRPC
import AuralSeparation
import AuralServices
import AuralWire
import Foundation
import Hummingbird

/// The music-pipeline endpoints of DESIGN.md §4 under `/api/v1`.
struct JobRoutes: Sendable {
    let gateway: ServiceGateway
    let blobs: LocalBlobStore
    let uploads: UploadReceiver
    let files: FileResponder
    let transcoder: StemTranscoder
    let maxQueuedJobs: Int

    func register(on api: RouterGroup<EdgeContext>) {
        api.post("transcribe", use: transcribe)
        api.post("diarize", use: diarize)
        api.get("jobs", use: list)
        api.get("jobs/:job_id", use: status)
        api.delete("jobs/:job_id", use: delete)
        api.post("jobs/:job_id/cancel", use: cancel)
        api.get("jobs/:job_id/results", use: results)
        api.get("jobs/:job_id/stems/:stem", use: stem)
        api.get("jobs/:job_id/frames") { try await document("frames.json", request: $0, context: $1) }
        api.get("jobs/:job_id/chords") { try await document("chords.json", request: $0, context: $1) }
        api.get("jobs/:job_id/transcript") { try await document("transcript.json", request: $0, context: $1) }
        api.get("jobs/:job_id/diarization") { request, context in
            switch request.uri.queryParameters["format"].map(String.init) {
            case nil, "json": try await document("diarization.json", request: request, context: context)
            case "rttm": try await document("diarization.rttm", contentType: "text/plain; charset=utf-8", request: request, context: context)
            case let other?: throw APIError.badRequest("format must be json or rttm (got \(other))")
            }
        }
    }

    @Sendable func transcribe(_ request: Request, context: EdgeContext) async throws -> Response {
        try await createJob(request, context: context, stages: [], options: { _ in [:] })
    }

    /// `POST /diarize`: who spoke when. Settings come as query parameters or
    /// multipart fields (`num_speakers`, or `min_speakers`/`max_speakers`).
    @Sendable func diarize(_ request: Request, context: EdgeContext) async throws -> Response {
        let query = request.uri.queryParameters
        var fromQuery: [String: String] = [:]
        for name in SpeechOptions.names { if let value = query[Substring(name)] { fromQuery[name] = String(value) } }
        try Self.validateSpeechOptions(fromQuery)
        return try await createJob(request, context: context, stages: [.speech]) { upload in
            let options = fromQuery.merging(upload.fields.filter { SpeechOptions.names.contains($0.key) }) { $1 }
            try Self.validateSpeechOptions(options)
            return options
        }
    }

    static func validateSpeechOptions(_ options: [String: String]) throws {
        do { _ = try SpeechOptions(options: options) } catch { throw APIError.badRequest(error.description) }
    }

    /// Receives the upload, settles the job's options from it, creates the job: 202 with its status.
    private func createJob(_ request: Request, context: EdgeContext, stages: [Aural_V1_Stage],
                           options: (ReceivedUpload) throws -> [String: String]) async throws -> Response {
        try await refuseWhenOverloaded(context)
        let upload: ReceivedUpload
        do {
            upload = try await uploads.receive(request)
        } catch {
            EdgeMetrics.recordUpload(bytes: 0, outcome: "refused")
            throw error
        }
        let job: Aural_V1_Job
        do {
            let jobOptions = try options(upload)
            job = try await gateway.call(SessionMethods.createJob, .with {
                $0.input = .with { $0.key = upload.key; $0.size = UInt64(upload.byteCount) }
                $0.inputFilename = upload.filename
                $0.audio = AudioWire.descriptor(upload.info)
                $0.stages = stages
                $0.options = jobOptions
            }, requestID: context.requestID)
        } catch {
            try? blobs.delete(upload.key)  // no job, so no file either
            throw error
        }
        EdgeMetrics.recordUpload(bytes: upload.byteCount, outcome: "accepted")
        EdgeMetrics.recordJob(status: "created")
        return try JSONResponse.make(JobStatusBody(job), status: .accepted, headers: [.location: "/api/v1/jobs/\(job.jobID)"])
    }

    /// DESIGN.md §5: past a configured queue depth the Edge says "later" instead of accepting work it cannot start.
    private func refuseWhenOverloaded(_ context: EdgeContext) async throws {
        guard maxQueuedJobs > 0 else { return }
        let queued = try await gateway.call(SessionMethods.listJobs, .with {
            $0.status = .queued
            $0.limit = UInt32(maxQueuedJobs)
        }, requestID: context.requestID)
        if queued.jobs.count >= maxQueuedJobs {
            throw APIError.serviceUnavailable("\(queued.jobs.count) jobs are already waiting; try again later", retryAfter: 30)
        }
    }

    @Sendable func list(_ request: Request, context: EdgeContext) async throws -> Response {
        let query = request.uri.queryParameters
        var listRequest = Aural_V1_ListJobsRequest()
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...100).contains(value) else { throw APIError.badRequest("limit must be 1...100") }
            listRequest.limit = UInt32(value)
        }
        if let cursor = query["cursor"] { listRequest.cursor = String(cursor) }
        if let status = query["status"] {
            guard let value = Aural_V1_JobStatus(apiName: String(status)) else {
                throw APIError.badRequest("status must be one of queued, processing, completed, failed, cancelled")
            }
            listRequest.status = value
        }
        let page = try await gateway.call(SessionMethods.listJobs, listRequest, requestID: context.requestID)
        return try JSONResponse.make(JobListBody(jobs: page.jobs.map(JobStatusBody.init),
                                                 next_cursor: page.nextCursor.isEmpty ? nil : page.nextCursor))
    }

    @Sendable func status(_ request: Request, context: EdgeContext) async throws -> Response {
        try JSONResponse.make(JobStatusBody(try await gateway.job(try context.jobID(), requestID: context.requestID)))
    }

    @Sendable func cancel(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        let job = try await gateway.call(SessionMethods.cancelJob, .with { $0.jobID = id }, requestID: context.requestID)
        return try JSONResponse.make(JobStatusBody(job))
    }

    @Sendable func delete(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        _ = try await gateway.call(SessionMethods.deleteJob, .with { $0.jobID = id }, requestID: context.requestID)
        return Response(status: .noContent)
    }

    @Sendable func results(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        let job = try await finishedJob(id, context: context)
        let names = Set(job.artifacts.map { String($0.key.dropFirst("jobs/\(id)/".count)) })
        var stems: [String: String] = [:]
        for stem in StemKind.allCases where names.contains("stems/\(stem.rawValue).mp3") {
            stems[stem.rawValue] = "/api/v1/jobs/\(id)/stems/\(stem.rawValue)"
        }
        let metadata = job.metadata
        let body = JobResultsBody(
            job_id: id, status: job.status.apiName,
            results: .init(
                stems: stems,
                processed_frames: names.contains("frames.json") ? "/api/v1/jobs/\(id)/frames" : nil,
                chords: names.contains("chords.json") ? "/api/v1/jobs/\(id)/chords" : nil,
                metadata: .init(
                    duration: metadata["duration"].flatMap(Double.init) ?? (job.hasAudio ? job.audio.durationSeconds : nil),
                    tempo_bpm: metadata["tempo_bpm"].flatMap(Double.init), key: metadata["key"],
                    num_frames: metadata["num_frames"].flatMap(Int.init), num_chords: metadata["num_chords"].flatMap(Int.init))))
        return try JSONResponse.make(body)
    }

    @Sendable func stem(_ request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        let name = try context.parameters.require("stem")
        guard let stem = StemKind(rawValue: name) else {
            throw APIError.notFound("unknown stem \"\(name)\"; stems are \(StemKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let format = request.uri.queryParameters["format"].map(String.init) ?? "mp3"
        guard ["mp3", "wav", "flac"].contains(format) else { throw APIError.badRequest("format must be mp3, wav or flac") }
        let job = try await finishedJob(id, context: context)
        let flacKey = "jobs/\(id)/stems/\(stem.rawValue).flac"
        let stored = job.artifacts.first { $0.key == "jobs/\(id)/stems/\(stem.rawValue).\(format == "wav" ? "flac" : format)" }
        guard let stored else { throw APIError.notFound("job \(id) has no \(stem.rawValue) stem") }
        let downloadName = "\(stem.rawValue).\(format)"
        if format == "wav" {
            let wav = try await transcoder.wav(fromFLAC: flacKey)
            return try await files.respond(path: wav.path, contentType: "audio/wav", etag: stored.sha256.isEmpty ? nil : "wav-" + stored.sha256,
                                           downloadName: downloadName, request: request, context: context)
        }
        return try await files.respond(path: try blobs.path(for: stored.key), contentType: format == "mp3" ? "audio/mpeg" : "audio/flac",
                                       etag: stored.sha256.isEmpty ? nil : stored.sha256, downloadName: downloadName,
                                       request: request, context: context)
    }

    /// `frames.json` and `chords.json`, streamed as stored.
    func document(_ name: String, contentType: String = "application/json; charset=utf-8",
                  request: Request, context: EdgeContext) async throws -> Response {
        let id = try context.jobID()
        let job = try await finishedJob(id, context: context)
        guard let stored = job.artifacts.first(where: { $0.key == "jobs/\(id)/\(name)" }) else {
            throw APIError.notFound("job \(id) has no \(name): its pipeline did not include that stage")
        }
        return try await files.respond(path: try blobs.path(for: stored.key), contentType: contentType,
                                       etag: stored.sha256.isEmpty ? nil : stored.sha256, downloadName: nil, request: request, context: context)
    }

    /// Results exist only for completed jobs: anything else is 409 with the job's state.
    private func finishedJob(_ id: String, context: EdgeContext) async throws -> Aural_V1_Job {
        let job = try await gateway.job(id, requestID: context.requestID)
        guard job.status == .completed else {
            throw APIError.conflict("job \(id) is \(job.status.apiName); results exist once it has completed")
        }
        return job
    }
}
