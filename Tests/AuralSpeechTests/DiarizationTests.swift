import AuralAudio
import AuralSpeech
import Foundation
import Testing

/// The fixture: a 14 s two-speaker dialogue from `scripts/gen-dialogues --seed 8
/// --count 1 --duration 14 --speakers 2` (espeak-ng en-us+f4 and en-us+m3, four
/// alternating turns over faint noise), stored as FLAC, with its RTTM truth.
enum Fixture {
    static func path(_ name: String) -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        return Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures")!.path
    }

    static func truth() throws -> [SpeakerSegment] {
        try RTTM.parse(String(contentsOfFile: path("dialogue.rttm"), encoding: .utf8))["dialogue-00"] ?? []
    }
}

@Suite("Diarization")
struct DiarizationTests {
    @Test func silenceAndFaintNoiseHaveNoSpeech() {
        let silence = [Float](repeating: 0, count: 5 * SpeechFrames.sampleRate)
        #expect(Diarizer().diarize(samples: silence).segments.isEmpty)
        #expect(VoiceActivityDetector().detect(SpeechFeatureExtractor.frames(of: silence)).isEmpty)

        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(5 * SpeechFrames.sampleRate)).map { _ in Float.random(in: -0.003...0.003, using: &generator) }
        let result = Diarizer().diarize(samples: noise)
        #expect(result.segments.isEmpty && result.speakerCount == 0, "\(result.segments)")
    }

    @Test func twoSpeakerDialogueIsDiarized() throws {
        let truth = try Fixture.truth()
        let result = try Diarizer().diarize(path: Fixture.path("dialogue.flac"))
        #expect(result.speakerCount == 2)
        let score = DiarizationScoring.score(reference: truth, hypothesis: result.segments, collar: 0.25)
        #expect(score.errorRate < 0.05, "DER \(score.errorRate): \(result.segments)")
        #expect(DiarizationScoring.score(reference: truth, hypothesis: result.segments).errorRate < 0.12)
        // Named in order of first appearance, never overlapping.
        #expect(result.segments.first?.speaker == "SPEAKER_00")
        #expect(zip(result.segments, result.segments.dropFirst()).allSatisfy { $0.end <= $1.start })

        // Voice activity alone: speech found where the voices are.
        let speech = result.speech.map { SpeakerSegment(start: $0.start, end: $0.end, speaker: "speech") }
        let vad = DiarizationScoring.score(reference: truth.map { SpeakerSegment(start: $0.start, end: $0.end, speaker: "speech") },
                                           hypothesis: speech)
        #expect(vad.missedRate < 0.05 && vad.falseAlarmRate < 0.08, "missed \(vad.missedRate), false alarm \(vad.falseAlarmRate)")
    }

    @Test func aGivenSpeakerCountIsObeyed() throws {
        let frames = try Diarizer.features(path: Fixture.path("dialogue.flac"))
        let one = Diarizer().diarize(frames, speakers: .exactly(1))
        #expect(Set(one.segments.map(\.speaker)) == ["SPEAKER_00"])
        let three = Diarizer().diarize(frames, speakers: .exactly(3))
        #expect(three.speakerCount == 3, "\(three.segments)")
        // Bounds that exclude the true count move the estimate to the bound.
        let atLeastThree = Diarizer().diarize(frames, speakers: .automatic(min: 3, max: 4))
        #expect(atLeastThree.speakerCount >= 3)
        let two = Diarizer().diarize(frames, speakers: .exactly(2))
        #expect(DiarizationScoring.score(reference: try Fixture.truth(), hypothesis: two.segments, collar: 0.25).errorRate < 0.05)
    }

    @Test func rttmRoundTrip() throws {
        let segments = [SpeakerSegment(start: 0.5, end: 2.25, speaker: "SPEAKER_00"),
                        SpeakerSegment(start: 2.5, end: 4.125, speaker: "SPEAKER_01")]
        let text = RTTM.write(segments, file: "my talk")
        #expect(text.hasPrefix("SPEAKER my_talk 1 0.500 1.750 <NA> <NA> SPEAKER_00 <NA> <NA>\n"))
        let parsed = try RTTM.parse(";; a comment\nSPKR-INFO my_talk 1 <NA> <NA> <NA> unknown SPEAKER_00 <NA>\n" + text)
        #expect(parsed.keys.sorted() == ["my_talk"])
        let back = try #require(parsed["my_talk"])
        #expect(back.count == 2)
        for (a, b) in zip(back, segments) {
            #expect(a.speaker == b.speaker && abs(a.start - b.start) < 0.001 && abs(a.end - b.end) < 0.001)
        }
        #expect(throws: RTTM.ParseError.self) { try RTTM.parse("SPEAKER f 1 zero 1.0 <NA> <NA> A <NA> <NA>") }
    }
}

@Suite("DER")
struct DiarizationErrorTests {
    func segment(_ start: Double, _ end: Double, _ speaker: String) -> SpeakerSegment {
        SpeakerSegment(start: start, end: end, speaker: speaker)
    }

    @Test func renamedSpeakersAreNoError() {
        let reference = [segment(0, 5, "A"), segment(5, 9, "B"), segment(9, 12, "A")]
        let hypothesis = [segment(0, 5, "x"), segment(5, 9, "y"), segment(9, 12, "x")]
        let score = DiarizationScoring.score(reference: reference, hypothesis: hypothesis)
        #expect(score.errorRate == 0 && score.reference == 12)
        #expect(score.mapping == ["A": "x", "B": "y"])
    }

    @Test func missedFalseAlarmAndConfusion() {
        let reference = [segment(0, 10, "A"), segment(10, 20, "B")]
        // One speaker for both: half the time is confused.
        let merged = DiarizationScoring.score(reference: reference, hypothesis: [segment(0, 20, "x")])
        #expect(merged.confusion == 10 && merged.missed == 0 && merged.falseAlarm == 0 && merged.errorRate == 0.5)
        // Nothing found: all missed.
        let nothing = DiarizationScoring.score(reference: reference, hypothesis: [])
        #expect(nothing.missed == 20 && nothing.errorRate == 1)
        // Speech where there is none: 2 s false alarm over 10 s.
        let extra = DiarizationScoring.score(reference: [segment(0, 10, "A")], hypothesis: [segment(0, 12, "x")])
        #expect(abs(extra.falseAlarmRate - 0.2) < 1e-12 && extra.missed == 0)
        // Overlapped reference speech, one hypothesis speaker: the second voice is missed.
        let overlap = DiarizationScoring.score(reference: [segment(0, 10, "A"), segment(5, 10, "B")], hypothesis: [segment(0, 10, "x")])
        #expect(overlap.reference == 15 && overlap.missed == 5 && overlap.confusion == 0)
    }

    @Test func theCollarForgivesBoundaries() {
        let reference = [segment(0, 10, "A"), segment(10, 20, "B")]
        let late = [segment(0, 10.2, "x"), segment(10.2, 20, "y")]
        let strict = DiarizationScoring.score(reference: reference, hypothesis: late)
        #expect(abs(strict.confusion - 0.2) < 1e-9 && abs(strict.errorRate - 0.01) < 1e-9)
        let forgiving = DiarizationScoring.score(reference: reference, hypothesis: late, collar: 0.25)
        // ±0.25 s around 0, 10 (both boundaries) and 20 are not scored: 19 s remain.
        #expect(forgiving.errorRate == 0 && abs(forgiving.reference - 19) < 1e-9)
        let veryLate = [segment(0, 10.5, "x"), segment(10.5, 20, "y")]
        #expect(abs(DiarizationScoring.score(reference: reference, hypothesis: veryLate, collar: 0.25).confusion - 0.25) < 1e-9)
    }

    @Test func theMappingIsOptimalNotGreedy() {
        // Greedy would pair A with x (6 s) and leave B with y (1 s): 7 s matched.
        // The optimum pairs A with y (5 s) and B with x (5 s): 10 s matched.
        let reference = [segment(0, 6, "A"), segment(6, 11, "A"), segment(11, 16, "B"), segment(16, 17, "B")]
        let hypothesis = [segment(0, 6, "x"), segment(6, 11, "y"), segment(11, 16, "x"), segment(16, 17, "y")]
        let score = DiarizationScoring.score(reference: reference, hypothesis: hypothesis)
        #expect(score.mapping == ["A": "y", "B": "x"])
        #expect(abs(score.confusion - 7) < 1e-9)
        #expect(Hungarian.maximize([[6, 5], [5, 1]]).compactMap { $0 } == [1, 0])
        #expect(Hungarian.maximize([[1, 9, 1], [9, 1, 1]]).compactMap { $0 } == [1, 0])
        #expect(Hungarian.maximize([[3], [7]]) == [nil, 0])
    }
}

@Suite("Words to speakers")
struct WordAssignmentTests {
    @Test func wordsGoToTheSpeakerTheyOverlapMost() {
        let segments = [SpeakerSegment(start: 0, end: 2, speaker: "SPEAKER_00"),
                        SpeakerSegment(start: 2.5, end: 4, speaker: "SPEAKER_01")]
        let words = [
            TimedWord(word: "hello", start: 0.1, end: 0.5, confidence: 0.9),
            TimedWord(word: "there", start: 0.6, end: 1.0, confidence: 0.8),
            TimedWord(word: "again", start: 1.8, end: 2.6, confidence: 0.7),   // 0.2 s with A, 0.1 s with B
            TimedWord(word: "mostly", start: 2.3, end: 2.9, confidence: 0.7),  // 0.4 s with B
            TimedWord(word: "late", start: 4.2, end: 4.4, confidence: 0.6),    // in no segment: nearest is B
        ]
        let turns = WordAssignment.turns(words: words.shuffled(), segments: segments)
        #expect(turns.map(\.speaker) == ["SPEAKER_00", "SPEAKER_01"])
        #expect(turns.map(\.text) == ["hello there again", "mostly late"])
        #expect(turns[0].start == 0.1 && turns[0].end == 2.6 && turns[1].end == 4.4)
        #expect(turns[1].words.map(\.confidence) == [0.7, 0.6])
        #expect(WordAssignment.turns(words: words, segments: []).isEmpty)
    }
}

@Suite("Clustering")
struct ClusteringTests {
    @Test func averageLinkageFindsSeparatedGroups() {
        // Three tight groups of unit vectors along three axes.
        var points: [Float] = []
        for axis in [0, 1, 2, 0, 1, 2, 0, 1] {
            var v: [Float] = [0.05, 0.05, 0.05]
            v[axis] = 1
            let norm = (v.map { $0 * $0 }.reduce(0, +)).squareRoot()
            points += v.map { $0 / norm }
        }
        let tree = Dendrogram(points: points, dimension: 3)
        #expect(tree.merges.count == 7)
        #expect(tree.cut(clusters: 3) == [0, 1, 2, 0, 1, 2, 0, 1])
        #expect(tree.cut(threshold: 0.5) == [0, 1, 2, 0, 1, 2, 0, 1])
        #expect(Set(tree.cut(clusters: 1)) == [0])
        #expect(zip(tree.merges, tree.merges.dropFirst()).allSatisfy { $0.distance <= $1.distance })
    }
}
