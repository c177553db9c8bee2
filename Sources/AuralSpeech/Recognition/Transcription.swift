/// What an engine heard: words in time order, and the text they spell.
public struct Transcription: Sendable, Equatable, Codable {
    public var words: [TimedWord]
    /// The words joined by spaces (remote engines may return punctuated text instead).
    public var text: String

    public init(words: [TimedWord], text: String? = nil) {
        self.words = words
        self.text = text ?? words.map(\.word).joined(separator: " ")
    }
}
