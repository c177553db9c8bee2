import AuralRPC
import AuralServices
import AuralWire
import Logging

/// The Edge's calls into SessionService. Every call carries the HTTP
/// request's id so one id traces a request through every process.
struct SessionGateway: Sendable {
    let client: RPCClient
    let timeout: Duration

    func call<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request, requestID: String) async throws -> Response {
        do {
            return try await client.call(method, request, timeout: timeout, metadata: [RPCMetadataKey.requestID: requestID])
        } catch {
            throw APIError(error)
        }
    }

    func job(_ id: String, requestID: String) async throws -> Aural_V1_Job {
        try await call(SessionMethods.getJob, .with { $0.jobID = id }, requestID: requestID)
    }

    func artifacts(of id: String, requestID: String) async throws -> [Aural_V1_BlobRef] {
        try await call(SessionMethods.listArtifacts, .with { $0.jobID = id }, requestID: requestID).artifacts
    }
}
