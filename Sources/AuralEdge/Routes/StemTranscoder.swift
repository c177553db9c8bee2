import AuralAudio
import AuralBlob
import AuralRPC
import Foundation

/// `?format=wav` downloads: stems are stored as MP3 and FLAC, so WAV is
/// decoded from the FLAC on first request, block by block (bounded memory),
/// and kept beside it under the job's prefix, which job deletion removes.
struct StemTranscoder: Sendable {
    let blobs: LocalBlobStore
    let work: BlockingWorkPool

    static let blockFrames = 1 << 16

    func wav(fromFLAC flacKey: String) async throws -> (key: String, path: String) {
        let wavKey = String(flacKey.dropLast("flac".count)) + "wav"
        let wavPath = try blobs.path(for: wavKey)
        if FileManager.default.fileExists(atPath: wavPath) { return (wavKey, wavPath) }
        let flacPath = try blobs.path(for: flacKey)
        try await work.run {
            let reader = try AudioFileReader(path: flacPath)
            let temporary = wavPath + ".tmp-" + UUID().uuidString
            do {
                let writer = try AudioFileWriter(path: temporary, format: .wav(.pcm16), sampleRate: reader.info.sampleRate,
                                                 channelCount: reader.info.channelCount)
                while let block = try reader.read(frames: Self.blockFrames) { try writer.write(block) }
                try writer.close()
                try FileManager.default.moveItem(atPath: temporary, toPath: wavPath)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                // Another request finished the same conversion first.
                if FileManager.default.fileExists(atPath: wavPath) { return }
                throw error
            }
        }
        return (wavKey, wavPath)
    }
}
