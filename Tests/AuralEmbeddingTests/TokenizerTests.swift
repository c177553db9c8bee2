import AuralEmbedding
import AuralTestSupport
import Foundation
import Testing

/// WordPiece rules on a vocabulary small enough to reason about.
@Suite struct WordPieceRuleTests {
    // ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, then the pieces.
    let tokenizer = try! BertTokenizer(
        vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "unaff", "a", "##a", ",", "!", "cafe", "我"],
        maxLength: 8)

    @Test func greedyLongestMatchFirstWithContinuations() {
        // "unaffable": "unaff" (longest prefix) then "##able"; not "un" "##aff" "##able".
        #expect(tokenizer.encode("unaffable").ids == [2, 7, 6, 3])
        #expect(tokenizer.encode("unable").ids == [2, 4, 6, 3])
    }

    @Test func wordWithoutACompleteSplitIsOneUnknown() {
        #expect(tokenizer.encode("unx a").ids == [2, 1, 8, 3])
    }

    @Test func wordsOver100CharactersAreUnknown() throws {
        let roomy = try BertTokenizer(vocabulary: ["[UNK]", "[CLS]", "[SEP]", "a", "##a"], maxLength: 128)
        #expect(roomy.encode(String(repeating: "a", count: 100)).ids == [1, 3] + Array(repeating: 4, count: 99) + [2])
        #expect(roomy.encode(String(repeating: "a", count: 101)).ids == [1, 0, 2])
    }

    @Test func lowerCasesStripsAccentsSplitsPunctuationAndCJK() {
        #expect(tokenizer.encode("CAFÉ,Café!").ids == [2, 12, 10, 12, 11, 3])
        #expect(tokenizer.encode("我我").ids == [2, 13, 13, 3])
    }

    @Test func truncatesToMaxLengthAndSaysSo() {
        let fits = tokenizer.encode("a a a a a a")
        #expect(fits.ids == [2, 8, 8, 8, 8, 8, 8, 3] && !fits.truncated)
        let long = tokenizer.encode("a a a a a a a")
        #expect(long.ids == [2, 8, 8, 8, 8, 8, 8, 3] && long.truncated)
        // A word whose pieces cross the limit is cut between pieces.
        let cut = tokenizer.encode("a a a a a aaa")
        #expect(cut.ids == [2, 8, 8, 8, 8, 8, 8, 3] && cut.truncated)
    }

    @Test func vocabularyWithoutSpecialTokensIsRefused() {
        #expect(throws: VocabularyError.self) { try BertTokenizer(vocabulary: ["[CLS]", "[SEP]", "a"]) }
    }
}

/// The real vocabulary against the ids Hugging Face's tokenizer gave for
/// the fixture sentences: accents, punctuation, CJK, Hangul, emoji and
/// other unknowns, control characters, and a text cut at 256 tokens.
@Suite struct ReferenceTokenizerTests {
    @Test(arguments: ReferenceFixture.shared.sentences)
    func idsMatchTheReference(_ sentence: ReferenceFixture.Sentence) throws {
        guard let model = try TestModel.model() else { return }
        let tokenized = model.tokenizer.encode(sentence.text)
        #expect(tokenized.ids == sentence.ids)
        #expect(tokenized.truncated == sentence.truncated)
    }

    @Test func fixtureCoversTruncationAndUnknowns() {
        let sentences = ReferenceFixture.shared.sentences
        #expect(sentences.contains { $0.truncated && $0.ids.count == MiniLMModel.maxSequenceLength })
        #expect(sentences.contains { $0.ids.contains(100) })  // [UNK]
    }
}
