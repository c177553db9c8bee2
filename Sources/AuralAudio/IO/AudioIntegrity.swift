import Foundation

/// Checks a decoder is lenient about: libsndfile reads a WAV whose data
/// chunk was cut short and returns the frames that survive, which is right
/// for analysis but wrong for accepting an upload — the client should learn
/// that its file arrived incomplete.
public enum AudioIntegrity {
    /// Throws `.corrupt` when a RIFF/WAVE file's `data` chunk declares more
    /// bytes than the file holds. Other containers pass (their decoders
    /// already fail on damage they cannot read past).
    public static func verifyComplete(_ path: String) throws(AudioError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .fileNotFound(path) }
        defer { try? handle.close() }
        guard let fileSize = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
              let header = try? handle.read(upToCount: 12), header.count == 12,
              header.prefix(4) == Data("RIFF".utf8), header.suffix(4) == Data("WAVE".utf8)
        else { return }
        var offset: UInt64 = 12
        while offset + 8 <= fileSize {
            guard (try? handle.seek(toOffset: offset)) != nil, let chunk = try? handle.read(upToCount: 8), chunk.count == 8 else { return }
            let size = UInt64(chunk[chunk.startIndex + 4]) | UInt64(chunk[chunk.startIndex + 5]) << 8
                | UInt64(chunk[chunk.startIndex + 6]) << 16 | UInt64(chunk[chunk.startIndex + 7]) << 24
            if chunk.prefix(4) == Data("data".utf8) {
                // 0 and 0xFFFFFFFF mean "unknown" (a stream written before its length was known).
                if size != 0, size != 0xFFFF_FFFF, offset + 8 + size > fileSize {
                    throw .corrupt("truncated WAV: the data chunk declares \(size) bytes but only \(fileSize - offset - 8) are present")
                }
                return
            }
            offset += 8 + size + (size & 1)  // chunks are padded to even sizes
        }
    }
}
