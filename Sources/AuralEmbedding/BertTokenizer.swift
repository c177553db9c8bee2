import Foundation

/// A text as model input: `[CLS]`, the WordPiece ids, `[SEP]`.
public struct TokenizedText: Sendable, Equatable {
    public var ids: [Int32]
    /// The text had more tokens than fit, and its tail was dropped.
    public var truncated: Bool
}

/// BERT's uncased WordPiece tokenizer over a `vocab.txt` (one token per
/// line, the line number is the id): `BertPreTokenizer` words, then each
/// word greedily split longest-match-first into vocabulary pieces, pieces
/// after the first spelled with a `##` prefix. A word with no complete split,
/// or longer than 100 characters, becomes one `[UNK]`.
public struct BertTokenizer: Sendable {
    public let maxLength: Int
    public let vocabularySize: Int
    public let classifierID: Int32
    public let separatorID: Int32
    public let unknownID: Int32
    private let ids: [String: Int32]

    static let maxCharactersPerWord = 100

    /// `maxLength` counts `[CLS]` and `[SEP]` (sentence-transformers reads
    /// 256 tokens of all-MiniLM-L6-v2).
    public init(vocabularyFile url: URL, maxLength: Int = 256) throws(EmbeddingModelError) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
        guard let text = try? Data(contentsOf: url), String(data: text, encoding: .utf8) != nil else {
            throw .corruptFile(path: url.path, reason: "not UTF-8 text")
        }
        // Like Hugging Face's reader: lines end at "\n" only (a token may be
        // any other Unicode line separator), trailing whitespace ("\r"
        // included) is trimmed, and no empty line follows the final newline.
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let vocabulary = lines.map { line in
            var token = Substring(decoding: line, as: UTF8.self).unicodeScalars
            while let last = token.last, last.properties.isWhitespace { token.removeLast() }
            return String(token)
        }
        do {
            try self.init(vocabulary: vocabulary, maxLength: maxLength)
        } catch {
            throw .corruptFile(path: url.path, reason: error.reason)
        }
    }

    /// `vocabulary[id]` is the token with that id.
    public init(vocabulary: [String], maxLength: Int = 256) throws(VocabularyError) {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (id, token) in vocabulary.enumerated() { ids[token] = Int32(id) }
        func special(_ token: String) throws(VocabularyError) -> Int32 {
            guard let id = ids[token] else { throw VocabularyError(reason: "no \(token) token") }
            return id
        }
        classifierID = try special("[CLS]")
        separatorID = try special("[SEP]")
        unknownID = try special("[UNK]")
        self.ids = ids
        self.maxLength = maxLength
        vocabularySize = vocabulary.count
    }

    public func encode(_ text: String) -> TokenizedText {
        var pieces: [Int32] = [classifierID]
        let room = maxLength - 1
        var truncated = false
        for word in BertPreTokenizer.words(text) {
            appendPieces(of: word, to: &pieces)
            if pieces.count > room {
                pieces.removeLast(pieces.count - room)
                truncated = true
                break
            }
        }
        pieces.append(separatorID)
        return TokenizedText(ids: pieces, truncated: truncated)
    }

    private func appendPieces(of word: [Unicode.Scalar], to pieces: inout [Int32]) {
        guard word.count <= Self.maxCharactersPerWord else {
            pieces.append(unknownID)
            return
        }
        let firstPiece = pieces.count
        var start = 0
        while start < word.count {
            var end = word.count
            var match: Int32?
            while start < end {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = ids[candidate] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                // Part of the word has no piece: the whole word is unknown.
                pieces.removeLast(pieces.count - firstPiece)
                pieces.append(unknownID)
                return
            }
            pieces.append(match)
            start = end
        }
    }
}

/// A vocabulary without the special tokens BERT needs.
public struct VocabularyError: Error, Sendable {
    public var reason: String
}
