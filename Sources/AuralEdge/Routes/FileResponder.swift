import Foundation
import HTTPTypes
import Hummingbird
import NIOFileSystem

/// Streams a stored file with the headers downloads need: type, length,
/// `ETag` (the content's sha256 when known), `Accept-Ranges`, and single
/// byte ranges with 206/416. Conditional `If-None-Match` gets 304.
struct FileResponder: Sendable {
    let fileIO = FileIO()

    func respond(path: String, contentType: String, etag: String?, downloadName: String?,
                 request: Request, context: EdgeContext) async throws -> Response {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)), info.type == .regular else {
            throw APIError.notFound("the file is no longer in storage")
        }
        let size = Int(info.size)
        let tag = "\"" + (etag ?? "\(size)-\(info.lastDataModificationTime.seconds)") + "\""
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes", .eTag: tag, .cacheControl: "private, max-age=3600"]
        if let downloadName { headers[.contentDisposition] = "attachment; filename=\"\(downloadName)\"" }

        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        var range = ByteRange(header: request.headers[.range], size: size)
        // If-Range: a range only applies to the representation the client already has.
        if let ifRange = request.headers[.ifRange], ifRange != tag { range = .whole }
        switch range {
        case .unsatisfiable:
            throw APIError.rangeNotSatisfiable(size: size)
        case .whole:
            headers[.contentLength] = String(size)
            let body = size == 0 ? ResponseBody() : try await fileIO.loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: request.method == .head ? ResponseBody() : body)
        case .partial(let bytes):
            headers[.contentLength] = String(bytes.count)
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(size)"
            let body = try await fileIO.loadFile(path: path, range: bytes, context: context)
            return Response(status: .partialContent, headers: headers, body: request.method == .head ? ResponseBody() : body)
        }
    }
}
