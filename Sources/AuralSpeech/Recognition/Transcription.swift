/// One recognized word with absolute times in seconds from the start of the
/// audio. Every engine, local or remote, answers with these.
public struct RecognizedWord: Sendable, Equatable, Codable {
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

/// What an engine heard: words in time order, and the text they spell.
public struct Transcription: Sendable, Equatable, Codable {
    public var words: [RecognizedWord]
    /// The words joined by spaces (remote engines may return punctuated text instead).
    public var text: String

    public init(words: [RecognizedWord], text: String? = nil) {
        self.words = words
        self.text = text ?? words.map(\.word).joined(separator: " ")
    }
}
