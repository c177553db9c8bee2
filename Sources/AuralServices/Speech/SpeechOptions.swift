import AuralSpeech

/// The settings of a speech job (`POST /api/v1/diarize` form fields, stored
/// as job options): how many speakers to look for.
public struct SpeechOptions: Sendable, Equatable {
    public static let maxSpeakers = 16

    public var speakers: SpeakerCount

    public init(speakers: SpeakerCount = .automatic()) { self.speakers = speakers }

    /// From job options `num_speakers`, or `min_speakers`/`max_speakers`;
    /// the message of a thrown error names the offending option.
    public init(options: [String: String]) throws(SpeechOptionError) {
        func count(_ name: String) throws(SpeechOptionError) -> Int? {
            guard let text = options[name], !text.isEmpty else { return nil }
            guard let value = Int(text), (1...Self.maxSpeakers).contains(value) else {
                throw SpeechOptionError("\(name) must be a whole number from 1 to \(Self.maxSpeakers) (got \"\(text)\")")
            }
            return value
        }
        if let exact = try count("num_speakers") {
            speakers = .exactly(exact)
            return
        }
        let low = try count("min_speakers") ?? 1
        let high = try count("max_speakers") ?? max(8, low)
        guard low <= high else { throw SpeechOptionError("min_speakers (\(low)) is more than max_speakers (\(high))") }
        speakers = .automatic(min: low, max: high)
    }

    /// The option names this struct reads, for validating requests up front.
    public static let names: Set<String> = ["num_speakers", "min_speakers", "max_speakers"]
}

public struct SpeechOptionError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
