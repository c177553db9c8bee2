import Foundation

/// NIST Rich Transcription Time Marked files, SPEAKER lines only:
/// `SPEAKER file 1 start duration <NA> <NA> speaker <NA> <NA>`.
public enum RTTM {
    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "RTTM line \(line): \(reason)" }
    }

    /// One line per segment, times in seconds with millisecond precision.
    public static func write(_ segments: [SpeakerSegment], file: String) -> String {
        // Spaces would split the fields.
        let name = file.isEmpty ? "audio" : file.replacingOccurrences(of: " ", with: "_")
        return segments.map { segment in
            let speaker = segment.speaker.replacingOccurrences(of: " ", with: "_")
            return String(format: "SPEAKER %@ 1 %.3f %.3f <NA> <NA> %@ <NA> <NA>\n", name, segment.start, segment.duration, speaker)
        }.joined()
    }

    /// SPEAKER lines grouped by file name; other line types (SPKR-INFO,
    /// LEXEME, …) and `;;` comments are skipped.
    public static func parse(_ text: String) throws(ParseError) -> [String: [SpeakerSegment]] {
        var files: [String: [SpeakerSegment]] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let type = fields.first, type == "SPEAKER" else { continue }
            guard fields.count >= 8 else { throw ParseError(line: number + 1, reason: "expected at least 8 fields, found \(fields.count)") }
            guard let start = Double(fields[3]), let duration = Double(fields[4]), start >= 0, duration >= 0 else {
                throw ParseError(line: number + 1, reason: "bad start or duration '\(fields[3])' '\(fields[4])'")
            }
            files[String(fields[1]), default: []].append(SpeakerSegment(start: start, end: start + duration, speaker: String(fields[7])))
        }
        return files
    }
}
