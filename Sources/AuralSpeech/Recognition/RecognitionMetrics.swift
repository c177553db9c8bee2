/// Word error rate, the measure the speech tests and `aural-bench stt` use.
public enum RecognitionMetrics {
    /// Lower-cased words with punctuation removed; apostrophes inside a word
    /// stay ("It's" → "it's"), as the recognizers' dictionaries spell them.
    public static func normalizedWords(_ text: String) -> [String] {
        text.lowercased()
            .split { !($0.isLetter || $0.isNumber || $0 == "'") }
            .map { $0.trimmingCharacters(in: ["'"]) }
            .filter { !$0.isEmpty }
    }

    /// Substitutions + deletions + insertions turning `reference` into
    /// `hypothesis` (word-level Levenshtein distance).
    public static func wordErrors(reference: [String], hypothesis: [String]) -> Int {
        var previous = Array(0...hypothesis.count)
        var current = previous
        for (i, referenceWord) in reference.enumerated() {
            current[0] = i + 1
            for (j, hypothesisWord) in hypothesis.enumerated() {
                let substitution = previous[j] + (referenceWord == hypothesisWord ? 0 : 1)
                current[j + 1] = min(substitution, previous[j + 1] + 1, current[j] + 1)
            }
            swap(&previous, &current)
        }
        return previous[hypothesis.count]
    }

    /// Word errors over reference words, after normalization.
    public static func wordErrorRate(reference: String, hypothesis: String) -> Double {
        let words = normalizedWords(reference)
        guard !words.isEmpty else { return normalizedWords(hypothesis).isEmpty ? 0 : 1 }
        return Double(wordErrors(reference: words, hypothesis: normalizedWords(hypothesis))) / Double(words.count)
    }
}
