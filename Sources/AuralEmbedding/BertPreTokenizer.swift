import Foundation

/// BERT's "basic tokenizer" for uncased models, as Hugging Face's
/// BertNormalizer + BertPreTokenizer do it, in this order: drop NUL, U+FFFD
/// and control/format characters and turn whitespace into spaces; put spaces
/// around CJK ideographs; decompose (NFD) and drop nonspacing marks (accent
/// stripping); lower-case; split on whitespace and make every punctuation
/// character a word of its own. Works on Unicode scalars throughout, as the
/// vocabulary does (e.g. Hangul stays decomposed into jamo after NFD).
public enum BertPreTokenizer {
    /// The words of `text`, each as its Unicode scalars.
    public static func words(_ text: String) -> [[Unicode.Scalar]] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJKIdeograph(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var words: [[Unicode.Scalar]] = []
        var word: [Unicode.Scalar] = []
        // Lower-casing comes after accent stripping, as in BertNormalizer: a
        // mark that lower-casing creates (İ → i + U+0307) is kept.
        for decomposed in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where decomposed.properties.generalCategory != .nonspacingMark {
            for scalar in decomposed.properties.lowercaseMapping.unicodeScalars {
                if isWhitespace(scalar) {
                    if !word.isEmpty { words.append(word); word.removeAll() }
                } else if isPunctuation(scalar) {
                    if !word.isEmpty { words.append(word); word.removeAll() }
                    words.append([scalar])
                } else {
                    word.append(scalar)
                }
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// Tab, newline and carriage return count as whitespace, not control.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// General categories Cc, Cf, Cs, Co, Cn ("other"), whitespace excepted.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// All ASCII non-alphanumeric printables (so `$`, `+`, `^` … split too,
    /// though Unicode calls them symbols) and Unicode's P* categories.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT splits character by character
    /// (not Hiragana, Katakana or Hangul, which are written with spaces or
    /// split by WordPiece). The ranges are Hugging Face tokenizers' own,
    /// including its 0x2B920 start (Python BERT's says 0x2B820), since that
    /// is the library the model is used with.
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
