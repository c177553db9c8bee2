/// Why audio could not be read or written. The Edge maps these to HTTP
/// statuses (`unsupportedFormat` → 415, `corrupt`/`empty` → 422).
public enum AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A container Aural cannot decode here (e.g. M4A without ffmpeg).
    case unsupportedFormat(detected: String)
    /// Not audio, or damaged beyond decoding.
    case corrupt(String)
    /// A file with no audio frames.
    case empty
    case fileNotFound(String)
    case writeFailed(String)
    case invalidArgument(String)

    public static let supportedFormats = ["wav", "flac", "ogg", "opus", "mp3", "m4a (when ffmpeg is installed)"]

    public var description: String {
        switch self {
        case .unsupportedFormat(let detected):
            "unsupported audio format \(detected); supported: \(Self.supportedFormats.joined(separator: ", "))"
        case .corrupt(let detail): "the file is not decodable audio: \(detail)"
        case .empty: "the file contains no audio"
        case .fileNotFound(let path): "no such file: \(path)"
        case .writeFailed(let detail): "cannot write audio: \(detail)"
        case .invalidArgument(let detail): detail
        }
    }
}
