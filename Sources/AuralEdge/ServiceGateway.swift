import AuralRPC
import AuralServices
import AuralWire
import Logging

/// The Edge's calls into a backend service (SessionService, EmbeddingService).
/// Every call carries the HTTP request's id so one id traces a request
/// through every process; failures become API errors naming the service.
struct ServiceGateway: Sendable {
    let service: String
    let client: RPCClient
    let timeout: Duration

    func call<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request, requestID: String) async throws -> Response {
        do {
            return try await client.call(method, request, timeout: timeout, metadata: [RPCMetadataKey.requestID: requestID])
        } catch {
            throw APIError(error, service: service)
        }
    }

}

/// SessionService's calls the routes share.
extension ServiceGateway {
    func job(_ id: String, requestID: String) async throws -> Aural_V1_Job {
        try await call(SessionMethods.getJob, .with { $0.jobID = id }, requestID: requestID)
    }

    func artifacts(of id: String, requestID: String) async throws -> [Aural_V1_BlobRef] {
        try await call(SessionMethods.listArtifacts, .with { $0.jobID = id }, requestID: requestID).artifacts
    }
}
