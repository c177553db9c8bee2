/// Cuts a stream of samples into the pieces a decoder is given: the speech
/// spans, or the whole stream when there are none, each cut into pieces of at
/// most `maxLength` samples at the quietest moment of the piece's second half
/// (a pause between words, so none is split). It holds at most `maxLength`
/// samples plus one appended block, so memory does not grow with the file.
struct UtteranceCutter {
    struct Utterance: Equatable {
        /// Index of the first sample in the whole stream.
        var start: Int
        var samples: [Float]
    }

    let maxLength: Int
    /// Samples per energy frame when looking for the quietest moment (10 ms).
    let frameLength: Int
    private let spans: [Range<Int>]
    private var spanIndex = 0
    private var buffer: [Float] = []
    /// Index in the whole stream of `buffer[0]`.
    private var bufferStart = 0

    /// `spans` in samples, in any order, may overlap; nil means everything.
    init(spans: [Range<Int>]?, maxLength: Int, sampleRate: Int) {
        precondition(maxLength > 0, "utterances need a positive length")
        self.maxLength = maxLength
        frameLength = max(1, sampleRate / 100)
        guard let spans else {
            self.spans = [0..<Int.max]
            return
        }
        var merged: [Range<Int>] = []
        for span in spans.map({ max(0, $0.lowerBound)..<max(0, $0.upperBound) }).sorted(by: { $0.lowerBound < $1.lowerBound })
        where !span.isEmpty {
            if let last = merged.last, span.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        self.spans = merged
    }

    /// Takes the next samples; returns the utterances now complete.
    mutating func append(_ samples: [Float]) -> [Utterance] {
        buffer.append(contentsOf: samples)
        return cut(final: false)
    }

    /// Ends the stream; returns the utterances left.
    mutating func finish() -> [Utterance] {
        defer { buffer.removeAll() }
        return cut(final: true)
    }

    private mutating func cut(final: Bool) -> [Utterance] {
        var utterances: [Utterance] = []
        while spanIndex < spans.count {
            let span = spans[spanIndex]
            let bufferEnd = bufferStart + buffer.count
            // Samples before the span are never decoded: drop them now.
            if span.lowerBound > bufferStart { drop(upTo: min(span.lowerBound, bufferEnd)) }
            if span.lowerBound >= bufferEnd { break }
            let available = min(span.upperBound, bufferEnd) - bufferStart
            if available > maxLength {
                let cut = Self.quietestCut(buffer[0..<maxLength], frameLength: frameLength)
                utterances.append(Utterance(start: bufferStart, samples: Array(buffer[0..<cut])))
                drop(upTo: bufferStart + cut)
            } else if span.upperBound <= bufferEnd || final {
                utterances.append(Utterance(start: bufferStart, samples: Array(buffer[0..<available])))
                drop(upTo: bufferStart + available)
                spanIndex += 1
            } else {
                break
            }
        }
        return utterances
    }

    private mutating func drop(upTo index: Int) {
        buffer.removeFirst(index - bufferStart)
        bufferStart = index
    }

    /// Where to cut `samples` (an index in its second half, counted from its
    /// start): the middle of the quietest 200 ms window there.
    static func quietestCut(_ samples: ArraySlice<Float>, frameLength: Int) -> Int {
        let frameCount = samples.count / frameLength
        let window = min(20, frameCount / 4)
        guard window > 0 else { return max(1, samples.count / 2) }
        var energies = [Float](repeating: 0, count: frameCount)
        for frame in 0..<frameCount {
            let first = samples.startIndex + frame * frameLength
            energies[frame] = samples[first..<(first + frameLength)].reduce(0) { $0 + $1 * $1 }
        }
        var windowEnergy = energies[(frameCount / 2)..<(frameCount / 2 + window)].reduce(0, +)
        var best = (frame: frameCount / 2, energy: windowEnergy)
        for first in (frameCount / 2 + 1)..<(frameCount - window + 1) {
            windowEnergy += energies[first + window - 1] - energies[first - 1]
            if windowEnergy < best.energy { best = (first, windowEnergy) }
        }
        return (best.frame + window / 2) * frameLength
    }
}
