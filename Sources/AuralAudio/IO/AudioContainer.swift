import Foundation

/// The container a file really is, from its first bytes (never its name).
public enum AudioContainer: String, Sendable, CaseIterable {
    case wav, flac, ogg, opus, mp3, m4a

    /// Sniffs the magic bytes; nil when nothing known matches.
    public static func sniff(_ header: [UInt8]) -> AudioContainer? {
        func starts(_ text: String, at offset: Int = 0) -> Bool {
            let bytes = Array(text.utf8)
            return header.count >= offset + bytes.count && Array(header[offset..<offset + bytes.count]) == bytes
        }
        if starts("RIFF") && starts("WAVE", at: 8) { return .wav }
        if starts("RF64") || starts("riff") { return .wav }
        if starts("fLaC") { return .flac }
        if starts("OggS") {
            // The first page carries the codec's identification header.
            if let range = header.firstRange(of: Array("OpusHead".utf8)), range.lowerBound < 64 { return .opus }
            return .ogg
        }
        if starts("ftyp", at: 4) { return .m4a }
        if starts("ID3") { return .mp3 }
        // An MPEG audio frame sync: 11 set bits, layer bits not 00.
        if header.count >= 2, header[0] == 0xFF, header[1] & 0xE0 == 0xE0, header[1] & 0x06 != 0 { return .mp3 }
        return nil
    }

    public static func sniff(path: String) throws(AudioError) -> AudioContainer? {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .fileNotFound(path) }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 128)).flatMap { $0 } ?? Data()
        return sniff([UInt8](header))
    }
}
