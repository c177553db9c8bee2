import AuralSpeech
import Foundation

/// `transcript.json`: the words, who said them, and the turns they make, as
/// `GET /jobs/{id}/transcript` returns it.
public struct TranscriptDocument: Codable, Sendable, Equatable {
    public struct Word: Codable, Sendable, Equatable {
        public var word: String
        public var start: Double
        public var end: Double
        public var confidence: Double
        public var speaker: String?
    }

    public struct Turn: Codable, Sendable, Equatable {
        public var speaker: String
        public var start: Double
        public var end: Double
        public var text: String
    }

    public var engine: String
    public var text: String
    public var words: [Word]
    public var turns: [Turn]

    public init(engine: String, transcription: Transcription, segments: [SpeakerSegment]) {
        let turns = WordAssignment.turns(words: transcription.words, segments: segments)
        var speakerOf: [TimedWord: String] = [:]
        for turn in turns { for word in turn.words { speakerOf[word] = turn.speaker } }
        self.engine = engine
        text = transcription.text
        words = transcription.words.map {
            Word(word: $0.word, start: DiarizationDocument.rounded($0.start), end: DiarizationDocument.rounded($0.end),
                 confidence: ($0.confidence * 1000).rounded() / 1000, speaker: speakerOf[$0])
        }
        self.turns = turns.map {
            Turn(speaker: $0.speaker, start: DiarizationDocument.rounded($0.start), end: DiarizationDocument.rounded($0.end), text: $0.text)
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}
