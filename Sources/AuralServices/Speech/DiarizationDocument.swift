import AuralSpeech
import Foundation

/// `diarization.json`: who spoke when, as `GET /jobs/{id}/diarization` returns it.
public struct DiarizationDocument: Codable, Sendable, Equatable {
    public struct Segment: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var speaker: String
    }

    public var num_speakers: Int
    public var speakers: [String]
    /// Seconds of detected speech.
    public var speech_seconds: Double
    public var segments: [Segment]

    public init(_ result: Diarizer.Result) {
        segments = result.segments.map { Segment(start: Self.rounded($0.start), end: Self.rounded($0.end), speaker: $0.speaker) }
        var seen: [String] = []
        for segment in segments where !seen.contains(segment.speaker) { seen.append(segment.speaker) }
        speakers = seen
        num_speakers = seen.count
        speech_seconds = Self.rounded(result.speech.reduce(0) { $0 + $1.duration })
    }

    /// Milliseconds are as fine as the 10 ms frames allow.
    static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}
