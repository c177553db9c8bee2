import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import NIOFoundationCompat
import NIOHTTP1

/// The CLI's side of the public REST API.
struct EdgeClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let baseURL: String
    let apiKey: String?
    let http: HTTPClient

    init(baseURL: String, apiKey: String?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    func shutdown() async { try? await http.shutdown() }

    private func request(_ path: String, method: HTTPMethod = .GET) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        return request
    }

    /// GETs JSON; a non-2xx answer becomes a `Failure` carrying the API's error message.
    func json(_ path: String, method: HTTPMethod = .GET) async throws -> [String: Any] {
        let response = try await http.execute(request(path, method: method), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return try Self.decode(body, status: response.status)
    }

    /// Uploads a file as a raw body, streamed from disk.
    func upload(_ path: String) async throws -> [String: Any] {
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        var upload = request("/api/v1/transcribe", method: .POST)
        upload.headers.add(name: "Content-Type", value: "application/octet-stream")
        upload.headers.add(name: "X-Filename", value: (path as NSString).lastPathComponent)
        let handle = try await FileSystem.shared.openFile(forReadingAt: FilePath(path))
        do {
            upload.body = .stream(handle.readChunks(), length: .known(Int64(size)))
            let response = try await http.execute(upload, timeout: .minutes(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            try await handle.close()
            return try Self.decode(body, status: response.status)
        } catch {
            try? await handle.close()
            throw error
        }
    }

    /// Streams a download into `destination` (written beside it, then renamed).
    func download(_ path: String, to destination: String) async throws {
        let response = try await http.execute(request(path), timeout: .minutes(10))
        guard response.status == .ok else {
            throw try Self.failure(try await response.body.collect(upTo: 1 << 20), status: response.status)
        }
        let temporary = destination + ".part"
        try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(temporary), options: .newFile(replaceExisting: true)) { handle in
            try await handle.withBufferedWriter { writer in
                for try await chunk in response.body { _ = try await writer.write(contentsOf: chunk) }
            }
        }
        _ = try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.moveItem(atPath: temporary, toPath: destination)
    }

    /// Server-Sent Events of a job, as (name, data) pairs, until the stream ends.
    func events(_ jobID: String, onEvent: (String, [String: Any]) -> Void) async throws {
        let response = try await http.execute(request("/api/v1/jobs/\(jobID)/events"), timeout: .hours(6))
        guard response.status == .ok || response.status == .noContent else {
            throw try Self.failure(try await response.body.collect(upTo: 1 << 20), status: response.status)
        }
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                var name: String?, data: [String: Any]?
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] }
                }
                if let name, let data { onEvent(name, data) }
            }
        }
    }

    private static func decode(_ body: ByteBuffer, status: HTTPResponseStatus) throws -> [String: Any] {
        guard (200..<300).contains(status.code) else { throw try failure(body, status: status) }
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw Failure(description: "the server answered \(status.code) with something that is not a JSON object")
        }
        return object
    }

    private static func failure(_ body: ByteBuffer, status: HTTPResponseStatus) throws -> Failure {
        let error = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["error"] as? [String: Any]
        return Failure(description: "\(status.code) \(error?["code"] as? String ?? status.reasonPhrase): \(error?["message"] as? String ?? String(buffer: body))")
    }
}
