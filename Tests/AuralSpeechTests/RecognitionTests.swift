import AuralAudio
@testable import AuralSpeech
import Foundation
import Testing

/// PocketSphinx on phrases spoken by espeak-ng. The model is loaded once for
/// the suite: the tests run one after another on the one decoder.
@Suite(.serialized)
struct RecognitionTests {
    let recognizer: PocketSphinxRecognizer
    let folder: URL

    init() throws {
        recognizer = try PocketSphinxRecognizer()
        folder = try RecognitionSpeech.temporaryFolder()
    }

    @Test func knownPhrasesAreRecognizedWithinTheMeasuredErrorRate() throws {
        var errors = 0, words = 0
        for phrase in RecognitionSpeech.phrases {
            let url = try RecognitionSpeech.synthesize(phrase, in: folder)
            let transcription = try recognizer.recognize(file: url.path, speech: nil)
            let reference = RecognitionMetrics.normalizedWords(phrase)
            errors += RecognitionMetrics.wordErrors(reference: reference, hypothesis: RecognitionMetrics.normalizedWords(transcription.text))
            words += reference.count
            print("stt test: \"\(phrase)\" → \"\(transcription.text)\"")
        }
        let wer = Double(errors) / Double(words)
        print("stt test: WER \(wer)")
        #expect(wer <= RecognitionSpeech.maxWordErrorRate)
    }

    @Test func silenceHasNoWords() throws {
        let silence = AudioBuffer(sampleRate: 16_000, channels: [[Float](repeating: 0, count: 3 * 16_000)])
        #expect(try recognizer.recognize(silence, speech: nil).words.isEmpty)
        let quietNoise = AudioBuffer(sampleRate: 44_100, channels: [noise(count: 3 * 44_100, amplitude: 0.001)])
        #expect(try recognizer.recognize(quietNoise, speech: nil).words.isEmpty)
    }

    @Test func wordTimesLieInsideTheClipInOrder() throws {
        let url = try RecognitionSpeech.synthesize(RecognitionSpeech.phrases[0], in: folder)
        let audio = try RecognitionSpeech.read(url)
        let words = try recognizer.recognize(audio, speech: nil).words
        #expect(words.count >= 4)
        for (previous, word) in zip(words, words.dropFirst()) { #expect(previous.end <= word.start + 1e-9) }
        for word in words {
            #expect(0 <= word.start && word.start < word.end && word.end <= audio.duration + 0.01)
            #expect(0 <= word.confidence && word.confidence <= 1)
            #expect(!word.word.contains("(") && !word.word.hasPrefix("<") && !word.word.hasPrefix("["))
        }
    }

    /// Two phrases three seconds apart, decoded only within the spans the
    /// caller gives: times are absolute, and a span over silence adds nothing.
    @Test func speechSpansGiveAbsoluteTimes() throws {
        let first = try RecognitionSpeech.read(RecognitionSpeech.synthesize(RecognitionSpeech.phrases[1], in: folder))
        let second = try RecognitionSpeech.read(RecognitionSpeech.synthesize(RecognitionSpeech.phrases[3], in: folder))
        let rate = first.sampleRate
        let gap = [Float](repeating: 0, count: 3 * rate)
        let clip = AudioBuffer(sampleRate: rate, channels: [gap + first.channels[0] + gap + second.channels[0] + gap])
        let firstSpan = 3.0..<(3 + first.duration)
        let secondStart = 6 + first.duration
        let secondSpan = secondStart..<(secondStart + second.duration)
        let silentSpan = 0.5..<2.5
        let spanned = try recognizer.recognize(clip, speech: [secondSpan, silentSpan, firstSpan])
        #expect(spanned.words.count >= 6)
        for word in spanned.words {
            #expect([firstSpan, secondSpan].contains { $0.lowerBound - 1e-6 <= word.start && word.end <= $0.upperBound + 0.02 })
        }
        let reference = RecognitionMetrics.normalizedWords(RecognitionSpeech.phrases[1] + " " + RecognitionSpeech.phrases[3])
        let errors = RecognitionMetrics.wordErrors(reference: reference, hypothesis: RecognitionMetrics.normalizedWords(spanned.text))
        #expect(Double(errors) / Double(reference.count) <= RecognitionSpeech.maxWordErrorRate)
    }

    /// A clip longer than the utterance limit is cut at pauses, not mid-word:
    /// recognized as well as short clips, times in order to the end.
    @Test func longClipsAreDecodedInPiecesCutAtPauses() throws {
        let shortRecognizer = try PocketSphinxRecognizer(configuration: .init(maxUtteranceSeconds: 4))
        var samples: [Float] = []
        var rate = 16_000
        for phrase in RecognitionSpeech.phrases {
            let audio = try RecognitionSpeech.read(RecognitionSpeech.synthesize(phrase, in: folder))
            rate = audio.sampleRate
            samples += audio.channels[0] + [Float](repeating: 0, count: rate / 2)
        }
        let clip = AudioBuffer(sampleRate: rate, channels: [samples])
        #expect(clip.duration > 12)
        let pieces = try shortRecognizer.recognize(clip, speech: nil)
        let reference = RecognitionMetrics.normalizedWords(RecognitionSpeech.phrases.joined(separator: " "))
        let errors = RecognitionMetrics.wordErrors(reference: reference, hypothesis: RecognitionMetrics.normalizedWords(pieces.text))
        #expect(Double(errors) / Double(reference.count) <= RecognitionSpeech.maxWordErrorRate)
        for (previous, word) in zip(pieces.words, pieces.words.dropFirst()) { #expect(previous.end <= word.start + 1e-9) }
        #expect((pieces.words.last?.end ?? 0) > clip.duration - 4)
    }

    @Test func int16SamplesAndFilesGiveTheSameWordsAsFloats() throws {
        let url = try RecognitionSpeech.synthesize(RecognitionSpeech.phrases[2], in: folder)
        let audio = try Resampler.resample(RecognitionSpeech.read(url), to: 16_000)
        let floats = try recognizer.recognize(audio, speech: nil)
        let pcm = audio.channels[0].map { Int16(clamping: Int(($0 * 32768).rounded())) }
        #expect(try recognizer.recognize(pcm, speech: nil).text == floats.text)
        #expect(try !recognizer.recognize(file: url.path, speech: nil).words.isEmpty)
    }

    @Test func missingModelAndUnreadableFilesAreTypedErrors() throws {
        #expect(throws: SpeechRecognitionError.self) {
            try PocketSphinxRecognizer(configuration: .init(modelDirectory: folder.appendingPathComponent("absent").path))
        }
        let notAudio = folder.appendingPathComponent("text.wav")
        try Data("not audio".utf8).write(to: notAudio)
        #expect { try recognizer.recognize(file: notAudio.path, speech: nil) } throws: { error in
            if case .invalidAudio = error as? SpeechRecognitionError { true } else { false }
        }
    }

    @Test func fillerTokensAreDroppedAndVariantsUnmarked() {
        #expect(PocketSphinxRecognizer.dictionaryWord("<s>") == nil)
        #expect(PocketSphinxRecognizer.dictionaryWord("</s>") == nil)
        #expect(PocketSphinxRecognizer.dictionaryWord("<sil>") == nil)
        #expect(PocketSphinxRecognizer.dictionaryWord("[NOISE]") == nil)
        #expect(PocketSphinxRecognizer.dictionaryWord("++BREATH++") == nil)
        #expect(PocketSphinxRecognizer.dictionaryWord("read(2)") == "read")
        #expect(PocketSphinxRecognizer.dictionaryWord("it's") == "it's")
    }

    private func noise(count: Int, amplitude: Float) -> [Float] {
        var state: UInt64 = 7
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
        }
    }
}

struct UtteranceCutterTests {
    /// Tone bursts of 0.8 s separated by 0.2 s of silence, at 1 kHz.
    func bursts(count: Int) -> [Float] {
        (0..<count).flatMap { _ in (0..<800).map { Float(sin(Double($0) * 0.3)) * 0.5 } + [Float](repeating: 0, count: 200) }
    }

    func collect(_ cutter: inout UtteranceCutter, _ samples: [Float], block: Int) -> [UtteranceCutter.Utterance] {
        var out: [UtteranceCutter.Utterance] = []
        for first in stride(from: 0, to: samples.count, by: block) {
            out += cutter.append(Array(samples[first..<min(first + block, samples.count)]))
        }
        return out + cutter.finish()
    }

    @Test func withoutSpansTheWholeStreamIsCutIntoPiecesAtPauses() {
        let samples = bursts(count: 10)
        var cutter = UtteranceCutter(spans: nil, maxLength: 2_500, sampleRate: 1_000)
        let pieces = collect(&cutter, samples, block: 333)
        #expect(pieces.map(\.samples.count).reduce(0, +) == samples.count)
        var next = 0
        for piece in pieces {
            #expect(piece.start == next)
            #expect(piece.samples == Array(samples[piece.start..<(piece.start + piece.samples.count)]))
            #expect(piece.samples.count <= 2_500)
            next = piece.start + piece.samples.count
            // Every cut but the end lands in a silent gap (the last 200 samples of each second).
            if next < samples.count { #expect(next % 1_000 >= 800) }
        }
    }

    @Test func spansAreMergedAndOnlyTheirSamplesPassed() {
        let samples = (0..<10_000).map { Float($0) }
        var cutter = UtteranceCutter(spans: [7_000..<9_000, 1_000..<2_000, 1_500..<3_000, 12_000..<13_000], maxLength: 5_000, sampleRate: 1_000)
        let pieces = collect(&cutter, samples, block: 700)
        #expect(pieces.map(\.start) == [1_000, 7_000])
        #expect(pieces[0].samples == Array(samples[1_000..<3_000]))
        #expect(pieces[1].samples == Array(samples[7_000..<9_000]))
    }

    @Test func quietestCutFindsTheGapInTheSecondHalf() {
        var samples = [Float](repeating: 0.5, count: 4_000)
        for i in 1_000..<1_300 { samples[i] = 0 }  // first half: ignored
        for i in 3_000..<3_300 { samples[i] = 0 }
        let cut = UtteranceCutter.quietestCut(samples[...], frameLength: 10)
        #expect((3_000..<3_300).contains(cut))
    }
}

struct RecognitionMetricsTests {
    @Test func wordErrorRateCountsSubstitutionsDeletionsAndInsertions() {
        #expect(RecognitionMetrics.normalizedWords("It's easy, to TELL!") == ["it's", "easy", "to", "tell"])
        #expect(RecognitionMetrics.wordErrors(reference: ["a", "b", "c"], hypothesis: ["a", "x", "c", "d"]) == 2)
        #expect(RecognitionMetrics.wordErrors(reference: ["a", "b", "c"], hypothesis: []) == 3)
        #expect(RecognitionMetrics.wordErrorRate(reference: "the cat sat", hypothesis: "the cat sat") == 0)
        #expect(RecognitionMetrics.wordErrorRate(reference: "the cat sat down", hypothesis: "a cat sat") == 0.5)
    }
}
