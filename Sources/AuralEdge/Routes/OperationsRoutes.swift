import AuralBlob
import AuralRPC
import AuralServices
import Foundation
import Hummingbird

/// Health, readiness, metrics and the API description: the routes outside
/// `/api`, open even when API keys are on.
struct OperationsRoutes: Sendable {
    let gateway: ServiceGateway
    let blobs: LocalBlobStore
    let minimumFreeDiskBytes: Int64

    struct Check: Encodable, Sendable {
        let ok: Bool
        let detail: String
    }

    struct Readiness: Encodable, Sendable {
        let status: String
        let checks: [String: Check]
        let free_disk_bytes: Int64?
    }

    func register(on router: Router<EdgeContext>) {
        router.get("health") { _, _ in try JSONResponse.make(["status": "ok", "version": AuralVersion.current]) }
        router.get("health/live") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("health/ready") { _, context in try await readiness(context) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: EdgeMetrics.render())))
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: APIDescription.document)))
        }
        router.get("docs") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: APIDescription.page)))
        }
    }

    /// Ready when SessionService answers, its database answers (a one-row
    /// list reads it), and storage takes a write with room to spare.
    func readiness(_ context: EdgeContext) async throws -> Response {
        var checks: [String: Check] = [:]
        do {
            let health = try await gateway.call(HealthMethods.check, .init(), requestID: context.requestID)
            checks["session_service"] = Check(ok: health.status == .serving, detail: "\(health.service) \(health.version)")
        } catch {
            checks["session_service"] = Check(ok: false, detail: "\(error)")
        }
        do {
            _ = try await gateway.call(SessionMethods.listJobs, .with { $0.limit = 1 }, requestID: context.requestID)
            checks["database"] = Check(ok: true, detail: "answering")
        } catch {
            checks["database"] = Check(ok: false, detail: "\(error)")
        }
        let free = blobs.freeBytes
        do {
            let probe = "health/ready-\(UUID().uuidString)"
            try blobs.write(probe, data: Data("ok".utf8))
            try blobs.delete(probe)
            let roomy = (free ?? .max) >= minimumFreeDiskBytes
            checks["storage"] = Check(ok: roomy, detail: roomy ? "writable" : "writable but below the free-space floor")
        } catch {
            checks["storage"] = Check(ok: false, detail: "\(error)")
        }
        let ready = checks.values.allSatisfy(\.ok)
        return try JSONResponse.make(Readiness(status: ready ? "ready" : "not_ready", checks: checks, free_disk_bytes: free),
                                     status: ready ? .ok : .serviceUnavailable)
    }
}
