import AuralAudio
import NIOCore
import NIOFileSystem

/// Accounting for an upload's bytes as they arrive: the size limit is
/// enforced on every chunk, and the container is sniffed from the first
/// bytes so that a body that is not audio is refused before it is read whole.
struct UploadSink {
    let limit: Int
    private(set) var byteCount = 0
    private var header: [UInt8] = []
    private(set) var container: AudioContainer?

    static let sniffLength = 64

    init(limit: Int) {
        self.limit = limit
    }

    mutating func write(_ buffer: ByteBuffer, to writer: inout BufferedWriter<WriteFileHandle>) async throws {
        byteCount += buffer.readableBytes
        guard byteCount <= limit else {
            throw APIError.payloadTooLarge("the upload exceeds the limit of \(limit >> 20) MB")
        }
        if container == nil {
            let wanted = min(buffer.readableBytes, Self.sniffLength - header.count)
            header += buffer.getBytes(at: buffer.readerIndex, length: wanted) ?? []
            if header.count >= Self.sniffLength { try identify() }
        }
        _ = try await writer.write(contentsOf: buffer)
    }

    /// Sniffs what arrived so far: early, and at the end for bodies shorter than the sniff window.
    mutating func identify() throws {
        guard container == nil else { return }
        guard !header.isEmpty else { throw APIError.badRequest("the upload is empty") }
        guard let found = AudioContainer.sniff(header) else {
            throw APIError.unsupportedMediaType(
                "the upload is not audio in a supported format (\(AudioError.supportedFormats.joined(separator: ", ")))")
        }
        container = found
    }
}
