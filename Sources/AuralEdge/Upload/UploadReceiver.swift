import AuralAudio
import AuralBlob
import AuralRPC
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import NIOFileSystem

/// A validated upload, written to blob storage and ready to become a job.
struct ReceivedUpload: Sendable {
    let key: String
    let filename: String
    let byteCount: Int
    let info: AudioInfo
    /// The multipart body's other (small, text) fields, e.g. `num_speakers`.
    var fields: [String: String] = [:]
}

/// Streams an upload body (multipart field `file`, or a raw `audio/*` body)
/// into `uploads/` in blob storage, then proves it is decodable audio.
/// Whatever goes wrong, the partial file is removed before the error leaves.
struct UploadReceiver: Sendable {
    let blobs: LocalBlobStore
    let maxBytes: Int
    let minimumFreeDiskBytes: Int64
    let probes: BlockingWorkPool

    static let directory = "uploads"
    /// Multipart framing and small extra fields on top of the file itself.
    static let multipartOverhead = 64 << 10

    func receive(_ request: Request) async throws -> ReceivedUpload {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes + Self.multipartOverhead {
            throw APIError.payloadTooLarge("the upload of \(declared) bytes exceeds the limit of \(maxBytes >> 20) MB")
        }
        try checkFreeSpace(needed: request.headers[.contentLength].flatMap(Int64.init) ?? 0)
        let format = try BodyFormat(request)
        let key = "\(Self.directory)/\(UUID().uuidString.lowercased()).part"
        let path = try blobs.path(for: key)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var sink = UploadSink(limit: maxBytes)
            let (filename, fields) = try await FileSystem.shared.withFileHandle(
                forWritingAt: FilePath(path), options: .newFile(replaceExisting: false)
            ) { handle in
                try await handle.withBufferedWriter { writer -> (String?, [String: String]) in
                    switch format {
                    case .raw(let filename):
                        for try await buffer in request.body { try await sink.write(buffer, to: &writer) }
                        return (filename, [:])
                    case .multipart(let boundary):
                        return try await Self.receiveMultipart(request.body, boundary: boundary, limit: maxBytes, sink: &sink, writer: &writer)
                    }
                }
            }
            try sink.identify()
            let info = try await probe(path)
            return ReceivedUpload(key: key, filename: filename ?? "upload.\(info.container.rawValue)", byteCount: sink.byteCount, info: info,
                                  fields: fields)
        } catch {
            try? blobs.delete(key)
            throw error
        }
    }

    /// A JSON body `{"audio_base64": "…", "format": "wav"}`, for clients that
    /// cannot stream a file. The whole body is held in memory, so its limit
    /// is the upload limit in base64 (4/3 of it) plus a little JSON.
    func receiveBase64JSON(_ request: Request) async throws -> ReceivedUpload {
        // `format` may come along; the bytes themselves say what they are.
        struct Body: Decodable { let audio_base64: String }
        let bodyLimit = maxBytes / 3 * 4 + 4 + Self.multipartOverhead
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > bodyLimit {
            throw APIError.payloadTooLarge("the JSON body of \(declared) bytes exceeds the limit for \(maxBytes >> 20) MB of audio")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: bodyLimit) } catch {
            throw APIError.payloadTooLarge("the JSON body exceeds the limit for \(maxBytes >> 20) MB of audio")
        }
        let body: Body
        do { body = try JSONDecoder().decode(Body.self, from: buffer) } catch {
            throw APIError.badRequest("expected a JSON object with a string field audio_base64 (and optionally format)")
        }
        guard let bytes = Data(base64Encoded: body.audio_base64.filter { !$0.isWhitespace }) else {
            throw APIError(.unprocessableContent, "invalid_base64", "audio_base64 is not valid base64")
        }
        guard bytes.count <= maxBytes else { throw APIError.payloadTooLarge("the audio exceeds the limit of \(maxBytes >> 20) MB") }
        guard AudioContainer.sniff(Array(bytes.prefix(UploadSink.sniffLength))) != nil else {
            throw APIError.unsupportedMediaType(
                "audio_base64 is not audio in a supported format (\(AudioError.supportedFormats.joined(separator: ", ")))")
        }
        try checkFreeSpace(needed: Int64(bytes.count))
        let key = "\(Self.directory)/\(UUID().uuidString.lowercased()).part"
        do {
            try blobs.write(key, data: bytes)
            let info = try await probe(try blobs.path(for: key))
            return ReceivedUpload(key: key, filename: "upload.\(info.container.rawValue)", byteCount: bytes.count, info: info)
        } catch {
            try? blobs.delete(key)
            throw error
        }
    }

    /// Decodability, not just magic bytes: libsndfile (or ffmpeg for M4A) must open it.
    private func probe(_ path: String) async throws -> AudioInfo {
        do {
            return try await probes.run {
                let info = try AudioFile.probe(path)
                try AudioIntegrity.verifyComplete(path)
                return info
            }
        } catch let error as AudioError {
            switch error {
            case .unsupportedFormat: throw APIError.unsupportedMediaType(error.description)
            case .corrupt, .empty: throw APIError.unprocessable(error.description)
            default: throw APIError.internalError(error.description)
            }
        }
    }

    private func checkFreeSpace(needed: Int64) throws {
        guard let free = blobs.freeBytes else { return }
        if free - needed < minimumFreeDiskBytes {
            throw APIError.insufficientStorage("storage is nearly full (\(free >> 20) MB free); try again later")
        }
    }

    /// Removes uploads a crashed Edge left behind (older than an hour, so a
    /// replica's upload in progress is never touched).
    func sweepAbandoned(olderThan age: TimeInterval = 3600) {
        guard let directory = try? blobs.path(for: Self.directory),
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let cutoff = Date().addingTimeInterval(-age)
        for name in names {
            let path = directory + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    // MARK: - Body formats

    enum BodyFormat {
        case multipart(boundary: String)
        case raw(filename: String?)

        init(_ request: Request) throws {
            let contentType = request.headers[.contentType] ?? ""
            let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let mediaType = parts.first?.lowercased() ?? ""
            if mediaType == "multipart/form-data" {
                guard let boundary = parts.dropFirst().compactMap(Self.boundary).first else {
                    throw APIError.badRequest("multipart/form-data without a boundary")
                }
                self = .multipart(boundary: boundary)
            } else if mediaType.hasPrefix("audio/") || mediaType == "application/octet-stream" {
                self = .raw(filename: request.headers[.xFilename].flatMap(UploadReceiver.safeFilename))
            } else {
                throw APIError.unsupportedMediaType(
                    "send multipart/form-data with a `file` field, or a raw audio/* body with X-Filename (got \(contentType.isEmpty ? "no Content-Type" : contentType))")
            }
        }

        private static func boundary(_ parameter: String) -> String? {
            guard parameter.lowercased().hasPrefix("boundary=") else { return nil }
            let value = parameter.dropFirst("boundary=".count)
            return String(value.count >= 2 && value.first == "\"" && value.last == "\"" ? value.dropFirst().dropLast() : value)
        }
    }

    /// A client's file name without any path, for display and the job record.
    static func safeFilename(_ name: String) -> String? {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{7F}" }.prefix(255))
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? nil : cleaned
    }

    // MARK: - Multipart

    /// MultipartKit's push parser reports synchronously; its callbacks queue
    /// the events and the async loop writes them between `execute` calls.
    private final class PartEvents {
        enum Event { case header(String, String), body(ByteBuffer), end }
        var queue: [Event] = []
    }

    /// Other form fields are settings, not payloads: this much text each, and this many.
    static let maxFieldBytes = 1024
    static let maxFields = 32

    /// Streams the `file` part into `writer`; returns its file name and the other fields' text.
    private static func receiveMultipart(
        _ body: RequestBody, boundary: String, limit: Int,
        sink: inout UploadSink, writer: inout BufferedWriter<WriteFileHandle>
    ) async throws -> (filename: String?, fields: [String: String]) {
        let parser = MultipartParser(boundary: boundary)
        let events = PartEvents()
        parser.onHeader = { name, value in events.queue.append(.header(name, value)) }
        parser.onBody = { buffer in events.queue.append(.body(buffer)) }
        parser.onPartComplete = { events.queue.append(.end) }

        var inFilePart = false, fileSeen = false, filename: String?
        var field: (name: String, value: ByteBuffer)?, fields: [String: String] = [:]
        var totalBytes = 0
        var pending = ByteBuffer()
        func flush() async throws {
            guard pending.readableBytes > 0 else { return }
            try await sink.write(pending, to: &writer)
            pending.clear()
        }
        for try await buffer in body {
            totalBytes += buffer.readableBytes
            guard totalBytes <= limit + multipartOverhead else {
                throw APIError.payloadTooLarge("the upload exceeds the limit of \(limit >> 20) MB")
            }
            do { try parser.execute(buffer) } catch { throw APIError.badRequest("malformed multipart body: \(error)") }
            let batch = events.queue
            events.queue.removeAll(keepingCapacity: true)
            for event in batch {
                switch event {
                case .header(let name, let value):
                    guard name.lowercased() == "content-disposition", let part = Self.dispositionParameter("name", in: value) else { break }
                    if part == "file", !fileSeen {
                        inFilePart = true
                        filename = Self.dispositionParameter("filename", in: value).flatMap(safeFilename)
                    } else if part != "file" {
                        field = (part, ByteBuffer())
                    }
                case .body(var chunk):
                    // The parser cuts the body at every CR byte; gather the pieces into one write.
                    if inFilePart {
                        pending.writeBuffer(&chunk)
                    } else if field != nil {
                        guard field!.value.readableBytes + chunk.readableBytes <= maxFieldBytes else {
                            throw APIError.badRequest("form field \(field!.name) is longer than \(maxFieldBytes) bytes")
                        }
                        field!.value.writeBuffer(&chunk)
                    }
                case .end:
                    try await flush()
                    if inFilePart { fileSeen = true }
                    if let (name, value) = field {
                        guard fields.count < maxFields else { throw APIError.badRequest("more than \(maxFields) form fields") }
                        fields[name] = String(buffer: value)
                    }
                    inFilePart = false
                    field = nil
                }
            }
            try await flush()
        }
        guard fileSeen else { throw APIError.badRequest("the multipart body has no complete `file` field") }
        return (filename, fields)
    }

    /// `name` or `filename` from `form-data; name="file"; filename="song.mp3"`.
    static func dispositionParameter(_ key: String, in value: String) -> String? {
        for parameter in value.split(separator: ";") {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var text = pair[1]
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            return text
        }
        return nil
    }
}
