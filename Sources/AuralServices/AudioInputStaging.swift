import AuralBlob
import AuralRPC
import AuralWire
import Foundation

/// Turns an `AudioInput` (inline bytes or a blob reference) into a file path
/// a decoder can open. Inline bytes go to a temporary file removed by `cleanup`.
struct StagedAudio {
    let path: String
    let filename: String
    private let temporary: Bool

    init(_ input: Aural_V1_AudioInput, blobs: LocalBlobStore) throws(RPCError) {
        switch input.source {
        case .inlineData(let data)?:
            guard !data.isEmpty else { throw .invalidArgument("audio.inline_data is empty") }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-input-\(UUID().uuidString)").path
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw .internalError("cannot stage the inline audio")
            }
            self.path = path
            temporary = true
        case .blob(let blob)?:
            do {
                path = try blobs.path(for: blob.key)
            } catch {
                throw .invalidArgument("\(error)")
            }
            guard FileManager.default.fileExists(atPath: path) else { throw .notFound("no blob \(blob.key)") }
            temporary = false
        case nil:
            throw .invalidArgument("audio has neither inline_data nor blob")
        }
        filename = input.filename
    }

    func cleanup() {
        if temporary { try? FileManager.default.removeItem(atPath: path) }
    }
}
