/// One recognised word with absolute times in seconds from the start of the
/// audio. Every speech-to-text engine, local or remote, answers with these.
public struct TimedWord: Sendable, Hashable, Codable {
    public var word: String
    public var start: Double
    public var end: Double
    /// The engine's posterior probability of the word, in [0, 1]; engines
    /// that give none report 1.
    public var confidence: Double

    public init(word: String, start: Double, end: Double, confidence: Double) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }
}

/// Consecutive words of one speaker.
public struct SpeakerTurn: Sendable, Hashable, Codable {
    public var speaker: String
    public var start: Double
    public var end: Double
    public var text: String
    public var words: [TimedWord]
}

public enum WordAssignment {
    /// Gives each word the speaker whose segments overlap it most; a word in
    /// no segment (a recogniser's timing rarely matches voice activity to
    /// the frame) goes to the nearest segment in time. Consecutive words of
    /// the same speaker form a turn. With no segments, nothing is known of
    /// speakers and there are no turns.
    public static func turns(words: [TimedWord], segments: [SpeakerSegment]) -> [SpeakerTurn] {
        guard !segments.isEmpty else { return [] }
        let ordered = segments.sorted { $0.start < $1.start }
        var turns: [SpeakerTurn] = []
        for word in words.sorted(by: { $0.start < $1.start }) {
            let speaker = speaker(of: word, in: ordered)
            if let last = turns.last, last.speaker == speaker {
                turns[turns.count - 1].end = max(last.end, word.end)
                turns[turns.count - 1].text += " " + word.word
                turns[turns.count - 1].words.append(word)
            } else {
                turns.append(SpeakerTurn(speaker: speaker, start: word.start, end: word.end, text: word.word, words: [word]))
            }
        }
        return turns
    }

    static func speaker(of word: TimedWord, in segments: [SpeakerSegment]) -> String {
        var overlap: [String: Double] = [:]
        for segment in segments where segment.start < word.end && segment.end > word.start {
            overlap[segment.speaker, default: 0] += min(segment.end, word.end) - max(segment.start, word.start)
        }
        // Ties go to the speaker named first, so the result does not depend on hashing.
        if let best = overlap.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) { return best.key }
        let middle = (word.start + word.end) / 2
        func gap(_ s: SpeakerSegment) -> Double { max(s.start - middle, middle - s.end, 0) }
        return segments.min { gap($0) < gap($1) }!.speaker
    }
}
