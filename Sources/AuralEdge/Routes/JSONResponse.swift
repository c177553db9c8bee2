import Foundation
import Hummingbird

enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try JSONEncoder().encode(value)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension EdgeContext {
    /// The `{job_id}` (or another id) path parameter, which must be a UUID: anything else
    /// (`../`, a file name) is refused before it reaches storage or RPC.
    func jobID() throws -> String { try uuidParameter("job_id") }

    func uuidParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        guard let uuid = UUID(uuidString: raw) else {
            throw APIError.badRequest("\(name.replacingOccurrences(of: "_", with: " ")) \"\(raw)\" is not a UUID")
        }
        return uuid.uuidString.lowercased()
    }
}
