import AuralBlob
import AuralRPC
import AuralSession
import AuralWire
import Foundation

public enum SessionMethods {
    public static let createJob = RPCMethod<Aural_V1_CreateJobRequest, Aural_V1_Job>("aural.v1.SessionService/CreateJob", idempotent: false)
    public static let getJob = RPCMethod<Aural_V1_GetJobRequest, Aural_V1_Job>("aural.v1.SessionService/GetJob", idempotent: true)
    public static let listJobs = RPCMethod<Aural_V1_ListJobsRequest, Aural_V1_ListJobsResponse>(
        "aural.v1.SessionService/ListJobs", idempotent: true)
    public static let cancelJob = RPCMethod<Aural_V1_CancelJobRequest, Aural_V1_Job>("aural.v1.SessionService/CancelJob", idempotent: false)
    public static let deleteJob = RPCMethod<Aural_V1_DeleteJobRequest, Aural_V1_DeleteJobResponse>(
        "aural.v1.SessionService/DeleteJob", idempotent: false)
    public static let listArtifacts = RPCMethod<Aural_V1_ListArtifactsRequest, Aural_V1_ListArtifactsResponse>(
        "aural.v1.SessionService/ListArtifacts", idempotent: true)
    public static let listJobEvents = RPCMethod<Aural_V1_ListJobEventsRequest, Aural_V1_ListJobEventsResponse>(
        "aural.v1.SessionService/ListJobEvents", idempotent: true)
}

/// SessionService's `session-rpc`: what the Edge and the CLI call.
public struct SessionRPCService: Sendable {
    let store: JobStore
    let blobs: LocalBlobStore
    let hub: EventHub
    let availability: TaskAvailability
    /// Stages of a job whose request names none.
    let defaultStages: [PipelineStage]

    public init(store: JobStore, blobs: LocalBlobStore, hub: EventHub, availability: TaskAvailability, defaultStages: [PipelineStage]) {
        self.store = store
        self.blobs = blobs
        self.hub = hub
        self.availability = availability
        self.defaultStages = defaultStages
    }

    public func register(on router: inout RPCRouter) {
        router.register(SessionMethods.createJob) { request, _ in try await createJob(request) }
        router.register(SessionMethods.getJob) { request, _ in SessionWire.job(try await job(request.jobID)) }
        router.register(SessionMethods.listJobs) { request, _ in try await listJobs(request) }
        router.register(SessionMethods.cancelJob) { request, _ in
            let (job, events) = try await SessionWire.mapped { try await store.cancelJob(request.jobID) }
            hub.publish(events)
            return SessionWire.job(job)
        }
        router.register(SessionMethods.deleteJob) { request, _ in
            try await JobDeletion(store: store, blobs: blobs, hub: hub).delete(request.jobID)
            return Aural_V1_DeleteJobResponse()
        }
        router.register(SessionMethods.listArtifacts) { request, _ in
            var response = Aural_V1_ListArtifactsResponse()
            response.artifacts = try await job(request.jobID).artifacts.map { SessionWire.blob($0.blob) }
            return response
        }
        router.register(SessionMethods.listJobEvents) { request, _ in
            _ = try await job(request.jobID)
            var response = Aural_V1_ListJobEventsResponse()
            response.events = try await SessionWire.mapped {
                try await store.events(of: request.jobID, after: request.afterSequence)
            }.map(SessionWire.event)
            return response
        }
    }

    /// The input must already be in blob storage; it moves under the job's
    /// own prefix (`jobs/{id}/input/…`) so deleting the job deletes it.
    func createJob(_ request: Aural_V1_CreateJobRequest) async throws -> Aural_V1_Job {
        guard (try? blobs.exists(request.input.key)) == true else {
            throw RPCError.invalidArgument("input blob \"\(request.input.key)\" does not exist")
        }
        var stages: [PipelineStage] = []
        for stage in request.stages { stages.append(try SessionWire.stage(stage)) }
        if stages.isEmpty { stages = defaultStages }
        var input = SessionWire.reference(request.input)
        if input.size == 0 { input.size = (try? blobs.size(input.key)) ?? 0 }
        let audio = request.hasAudio ? SessionWire.summary(request.audio) : nil
        let id = UUID().uuidString.lowercased()
        input.key = "jobs/\(id)/input/source" + Self.fileExtension(request.inputFilename)
        do { try blobs.move(request.input.key, to: input.key) } catch { throw RPCError.unavailable("blob storage: \(error)") }
        let job: JobRecord
        do {
            job = try await SessionWire.mapped {
                try await store.createJob(NewJob(id: id, input: input, inputFilename: request.inputFilename, audio: audio,
                                                 stages: stages, options: request.options))
            }
        } catch {
            try? blobs.delete("jobs/\(id)")
            throw error
        }
        availability.notify(stages)
        return SessionWire.job(job)
    }

    func job(_ id: String) async throws -> JobRecord {
        guard let job = try await SessionWire.mapped({ try await store.job(id) }) else { throw RPCError.notFound("no job \(id)") }
        return job
    }

    func listJobs(_ request: Aural_V1_ListJobsRequest) async throws -> Aural_V1_ListJobsResponse {
        let page = try await SessionWire.mapped {
            try await store.listJobs(limit: request.limit == 0 ? 20 : Int(request.limit), cursor: request.cursor,
                                     state: SessionWire.state(request.status))
        }
        var response = Aural_V1_ListJobsResponse()
        response.jobs = page.jobs.map(SessionWire.job)
        response.nextCursor = page.nextCursor ?? ""
        return response
    }

    /// ".mp3" from "My Song.MP3"; letters and digits only, so it is a safe key part.
    static func fileExtension(_ filename: String) -> String {
        let ext = (filename as NSString).pathExtension.lowercased()
        guard !ext.isEmpty, ext.count <= 8, ext.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) }) else {
            return ""
        }
        return "." + ext
    }
}

/// Deleting a job: stop it, delete its files, then its rows — files first,
/// so an interrupted delete leaves a row to retry from, never orphan files.
struct JobDeletion: Sendable {
    let store: JobStore
    let blobs: LocalBlobStore
    let hub: EventHub?

    func delete(_ id: String) async throws {
        guard let job = try await SessionWire.mapped({ try await store.job(id) }) else { throw RPCError.notFound("no job \(id)") }
        if !job.state.isFinished, let (_, events) = try? await store.cancelJob(id) { hub?.publish(events) }
        do { try blobs.delete("jobs/\(id)") } catch { throw RPCError.unavailable("blob storage: \(error)") }
        try await SessionWire.mapped { _ = try await store.deleteJobRows(id) }
    }
}
