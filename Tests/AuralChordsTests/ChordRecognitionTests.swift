import AuralAudio
import AuralChords
import AuralRPC
import Foundation
import Testing

@Suite("Chords")
struct ChordRecognitionTests {
    /// Each chord 2 s over a 120 BPM click; every chord must be named
    /// exactly over most of its time (triads and all three sevenths).
    @Test func triadsAndSeventhsOverABeatAreNamed() async throws {
        let labels = ["C:maj", "A:min", "G:7", "F:maj7", "D:min7", "Eb:maj", "F#:min", "Bb:7"].map { ChordLabel(harte: $0)! }
        var samples = Music.silence(seconds: 2 * Double(labels.count))
        for (index, label) in labels.enumerated() {
            Music.addChord(label, into: &samples, start: 2 * Double(index), seconds: 2)
        }
        Music.addClicks(at: stride(from: 0.0, to: 2 * Double(labels.count), by: 0.5).map { $0 }, into: &samples)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        for (index, label) in labels.enumerated() {
            let start = 2 * Double(index)
            #expect(Music.dominantLabel(analysis.chords, from: start + 0.25, to: start + 1.75) == label, "chord \(index)")
        }
        let truth = labels.enumerated().map { ChordSegment(start: 2 * Double($0.offset), end: 2 * Double($0.offset + 1), label: $0.element, confidence: 1) }
        let sevenths = ChordMetrics.recall(reference: truth, estimate: analysis.chords, vocabulary: .sevenths)
        #expect(sevenths.correct / sevenths.total > 0.85)
        #expect(analysis.chords.allSatisfy { (0...1).contains($0.confidence) })
    }

    /// The bass on the third or fifth does not change the chord's name.
    @Test(arguments: [("C:maj", 4), ("A:min", 0), ("G:maj", 2), ("G:7", 11), ("F:maj7", 0)])
    func inversionsKeepTheirRoot(name: String, bass: Int) async throws {
        let label = ChordLabel(harte: name)!
        var samples = Music.silence(seconds: 3)
        Music.addChord(label, into: &samples, start: 0, seconds: 3, bass: bass)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        #expect(Music.dominantLabel(analysis.chords, from: 0.2, to: 2.8) == label, "\(name) over \(PitchClass.names[bass]): \(analysis.chords)")
        // A held chord has no pulse: no beats, no tempo.
        #expect(analysis.beats.isEmpty && analysis.tempoBPM == nil, "beats \(analysis.beats)")
    }

    /// A quarter tone sharp is still the same chord, and the tuning estimate sees it.
    @Test func detunedChordsAndTheTuningEstimate() async throws {
        var samples = Music.silence(seconds: 4)
        Music.addChord(ChordLabel(harte: "E:min")!, into: &samples, start: 0, seconds: 2, cents: 40)
        Music.addChord(ChordLabel(harte: "C:maj")!, into: &samples, start: 2, seconds: 2, cents: 40)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        #expect(abs(analysis.tuningSemitones - 0.4) < 0.08, "tuning \(analysis.tuningSemitones)")
        #expect(Music.dominantLabel(analysis.chords, from: 0.2, to: 1.8) == ChordLabel(harte: "E:min"))
        #expect(Music.dominantLabel(analysis.chords, from: 2.2, to: 3.8) == ChordLabel(harte: "C:maj"))
    }

    @Test func silenceIsNoChordWithoutKeyOrBeats() async throws {
        let signal = try Music.signal(Music.silence(seconds: 5))
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        #expect(analysis.chords.map(\.label) == [.noChord])
        #expect(analysis.chords.first?.start == 0 && abs((analysis.chords.first?.end ?? 0) - 5) < 0.01)
        #expect(analysis.key == nil && analysis.tempoBPM == nil && analysis.beats.isEmpty)
    }

    /// Other sample rates are resampled; a clip shorter than a chroma window
    /// still gets one segment covering it, and no beats.
    @Test(arguments: [8_000, 48_000])
    func otherRatesAndTinyClips(rate: Int) async throws {
        var samples = Music.silence(seconds: 3)
        Music.addChord(ChordLabel(harte: "A:maj")!, into: &samples, start: 0, seconds: 3)
        let resampled = try Resampler.resample(AudioBuffer(sampleRate: Music.sampleRate, channels: [samples]), to: rate)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(try AnalysisSignal(resampled)) }
        #expect(Music.dominantLabel(analysis.chords, from: 0.2, to: 2.8) == ChordLabel(harte: "A:maj"))

        let tiny = resampled.slice(0..<(rate / 5))
        let short = try await runOnOwnThread { ChordAnalyzer().analyze(try AnalysisSignal(tiny)) }
        #expect(short.beats.isEmpty && short.chords.count == 1 && abs(short.chords[0].end - 0.2) < 0.01, "\(short.chords)")
    }

    /// A chord, then silence: the silent part is `N`.
    @Test func chordThenSilence() async throws {
        var samples = Music.silence(seconds: 6)
        Music.addChord(ChordLabel(harte: "G:maj")!, into: &samples, start: 0, seconds: 3)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        #expect(Music.dominantLabel(analysis.chords, from: 0.2, to: 2.8) == ChordLabel(harte: "G:maj"))
        #expect(Music.dominantLabel(analysis.chords, from: 3.5, to: 6) == .noChord)
    }
}

/// A small song like the benchmark's: eight bars at 96 BPM in G major,
/// chords per bar with sevenths, bass on root and fifth, kick and snare,
/// and a melody of chord and passing tones on eighths. The whole analysis
/// must clear the issue's targets on it.
@Suite("Generated song")
struct GeneratedSongTests {
    @Test func generatedSongScoresAboveThreshold() async throws {
        let beat = 60 / 96.0, bar = 4 * beat
        let progression = ["G:maj", "E:min", "A:min7", "D:7", "C:maj7", "D:maj", "B:min", "G:maj"].map { ChordLabel(harte: $0)! }
        let start = 0.1
        var samples = Music.silence(seconds: start + 8 * bar + 0.5)
        var seed: UInt64 = 42
        var melody = 67
        for (index, chord) in progression.enumerated() {
            let barStart = start + Double(index) * bar
            Music.addChord(chord, into: &samples, start: barStart, seconds: bar, bass: nil, lowestTreble: 52)
            Music.addNote(36 + (chord.root! + 7) % 12, into: &samples, start: barStart + 2 * beat, seconds: 2 * beat, amplitude: 0.1)
            for step in 0..<8 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let scale = [0, 2, 4, 5, 7, 9, 11].map { (7 + $0) % 12 }
                let choices = step % 2 == 0 ? chord.pitchClasses : scale
                let candidates = (60...79).filter { choices.contains($0 % 12) && abs($0 - melody) <= 4 }
                melody = candidates.isEmpty ? melody : candidates[Int(seed >> 33) % candidates.count]
                Music.addNote(melody, into: &samples, start: barStart + Double(step) * beat / 2, seconds: beat / 2 * 0.9, amplitude: 0.06)
            }
            for b in 0..<4 { Music.addDrum(kick: b % 2 == 0, at: barStart + Double(b) * beat, into: &samples, seed: &seed) }
        }
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }

        let truth = progression.enumerated().map { index, label in
            ChordSegment(start: start + Double(index) * bar, end: start + Double(index + 1) * bar, label: label, confidence: 1)
        }
        let majmin = ChordMetrics.recall(reference: truth, estimate: analysis.chords, vocabulary: .majmin)
        let sevenths = ChordMetrics.recall(reference: truth, estimate: analysis.chords, vocabulary: .sevenths)
        #expect(majmin.correct / majmin.total >= 0.92, "majmin \(majmin); \(analysis.chords)")
        #expect(sevenths.correct / sevenths.total >= 0.75, "sevenths \(sevenths)")
        let beats = (0..<32).map { start + Double($0) * beat }
        #expect(ChordMetrics.beatFMeasure(reference: beats, estimate: analysis.beats) >= 0.93, "beats \(analysis.beats)")
        #expect(ChordMetrics.tempoCorrect(estimate: analysis.tempoBPM ?? 0, reference: 96), "tempo \(analysis.tempoBPM ?? 0)")
        #expect(analysis.key == MusicalKey(harte: "G:maj"), "key \(analysis.key?.description ?? "nil")")
    }
}

@Suite("Beats, tempo and key")
struct RhythmAndKeyTests {
    @Test(arguments: [84.0, 100.0, 128.0, 150.0])
    func clickTrackTempoAndBeats(bpm: Double) async throws {
        let seconds = 16.0
        var samples = Music.silence(seconds: seconds)
        let clicks = stride(from: 0.25, to: seconds, by: 60 / bpm).map { $0 }
        // Accented downbeats, as a drummer would play them.
        Music.addClicks(at: clicks, into: &samples, amplitude: 0.25)
        Music.addClicks(at: stride(from: 0, to: clicks.count, by: 4).map { clicks[$0] }, into: &samples, amplitude: 0.25)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        let tempo = try #require(analysis.tempoBPM)
        #expect(abs(tempo - bpm) / bpm < 0.02, "tempo \(tempo) for \(bpm)")
        let f = ChordMetrics.beatFMeasure(reference: clicks, estimate: analysis.beats)
        #expect(f > 0.95, "beat F \(f); beats \(analysis.beats.prefix(8))")
    }

    /// A scale played up and down over its tonic chord's bass gives its key.
    @Test(arguments: [("D:maj", [0, 2, 4, 5, 7, 9, 11]), ("C:min", [0, 2, 3, 5, 7, 8, 11]), ("Ab:maj", [0, 2, 4, 5, 7, 9, 11])])
    func keyOfAScale(name: String, steps: [Int]) async throws {
        let key = try #require(MusicalKey(harte: name))
        let notes = (steps + [12] + steps.reversed()).map { 60 + key.tonic + $0 }
        var samples = Music.silence(seconds: Double(notes.count) * 0.4)
        for (index, note) in notes.enumerated() {
            Music.addNote(note, into: &samples, start: Double(index) * 0.4, seconds: 0.4, amplitude: 0.15)
        }
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        #expect(analysis.key == key, "\(name): got \(analysis.key?.description ?? "nil")")
    }
}

@Suite("Chords JSON, metrics and bad input")
struct ChordsFormatTests {
    @Test func chordsJSONHasTheDocumentedShape() throws {
        let analysis = ChordAnalysis(
            duration: 4, key: MusicalKey(harte: "A:min"), tempoBPM: 120, beats: [0.5, 1.0, 1.5],
            chords: [ChordSegment(start: 0, end: 0.5, label: .noChord, confidence: 0.9),
                     ChordSegment(start: 0.5, end: 4, label: ChordLabel(harte: "F#:min7")!, confidence: 0.8123)],
            tuningSemitones: 0)
        let data = ChordsJSON.encode(analysis)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix(#"{"schema":"aural.chords/1","key":"A:min","tempo_bpm":120.00,"beats":[0.500,1.000,1.500],"chords":["#))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "key", "tempo_bpm", "beats", "chords"])
        let chords = try #require(object["chords"] as? [[String: Any]])
        #expect(chords.count == 2)
        for chord in chords {
            #expect(Set(chord.keys) == ["start", "end", "label", "confidence"])
            #expect(ChordLabel(harte: chord["label"] as! String) != nil)
        }
        #expect(chords[1]["label"] as? String == "F#:min7" && chords[1]["confidence"] as? Double == 0.812)

        let silent = ChordAnalysis(duration: 1, key: nil, tempoBPM: nil, beats: [],
                                   chords: [ChordSegment(start: 0, end: 1, label: .noChord, confidence: 1)], tuningSemitones: 0)
        let empty = try #require(try JSONSerialization.jsonObject(with: ChordsJSON.encode(silent)) as? [String: Any])
        #expect(empty["key"] is NSNull && empty["tempo_bpm"] is NSNull && (empty["beats"] as? [Any])?.isEmpty == true)
    }

    /// A real analysis, written and read back, conforms; a broken document does not.
    @Test func analysisOutputConformsToTheSchema() async throws {
        var samples = Music.silence(seconds: 6)
        Music.addChord(ChordLabel(harte: "D:min7")!, into: &samples, start: 0.5, seconds: 2.5)
        Music.addChord(ChordLabel(harte: "G:7")!, into: &samples, start: 3, seconds: 2.5)
        Music.addClicks(at: stride(from: 0.5, to: 5.5, by: 0.5).map { $0 }, into: &samples)
        let signal = try Music.signal(samples)
        let analysis = try await runOnOwnThread { ChordAnalyzer().analyze(signal) }
        let json = ChordsJSON.encode(analysis)
        #expect(ChordsSchema.violations(json).isEmpty, "\(ChordsSchema.violations(json)): \(String(decoding: json, as: UTF8.self))")
        let broken = Data(#"{"schema":"aural.chords/1","key":"H:maj","tempo_bpm":-1,"beats":[2,1],"chords":[{"start":0.5,"end":0.2,"label":"C:dim","confidence":2}]}"#.utf8)
        #expect(ChordsSchema.violations(broken).count == 7, "\(ChordsSchema.violations(broken))")
    }

    @Test func harteLabelsRoundTrip() {
        for label in ChordLabel.all() + [.noChord] { #expect(ChordLabel(harte: label.description) == label) }
        #expect(ChordLabel(harte: "C#:min") == ChordLabel(harte: "Db:min"))
        #expect(ChordLabel(harte: "G") == ChordLabel(harte: "G:maj"))
        #expect(ChordLabel(harte: "C:dim") == nil && ChordLabel(harte: "H:maj") == nil)
        #expect(MusicalKey(harte: "Bb:min")?.description == "Bb:min" && MusicalKey(harte: "C:7") == nil)
    }

    @Test func metricsScoreKnownCases() {
        let c7 = ChordLabel(harte: "C:7")!, cmaj = ChordLabel(harte: "C:maj")!, amin = ChordLabel(harte: "A:min")!
        let reference = [ChordSegment(start: 0, end: 2, label: c7, confidence: 1), ChordSegment(start: 2, end: 4, label: amin, confidence: 1)]
        let estimate = [ChordSegment(start: 0, end: 1, label: cmaj, confidence: 1), ChordSegment(start: 1, end: 3, label: c7, confidence: 1),
                        ChordSegment(start: 3, end: 4, label: ChordLabel(harte: "A:maj")!, confidence: 1)]
        #expect(ChordMetrics.recall(reference: reference, estimate: estimate, vocabulary: .root) == (3, 4))
        #expect(ChordMetrics.recall(reference: reference, estimate: estimate, vocabulary: .majmin) == (2, 4))
        #expect(ChordMetrics.recall(reference: reference, estimate: estimate, vocabulary: .sevenths) == (1, 4))
        let segmentation = ChordMetrics.segmentation(reference: reference, estimate: estimate)
        #expect(segmentation.over == 0.5 && segmentation.under == 0.75)
        #expect(ChordMetrics.beatFMeasure(reference: [1, 2, 3, 4], estimate: [1.05, 2.1, 3.0]) == 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5))
        #expect(ChordMetrics.tempoCorrect(estimate: 123, reference: 120) && !ChordMetrics.tempoCorrect(estimate: 60, reference: 120))
        #expect(ChordMetrics.tempoCorrect(estimate: 61, reference: 120, allowOctave: true))
    }

    @Test func corruptAudioIsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-chords-\(UUID().uuidString).wav").path
        try Data("RIFF....WAVE but really just text".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: AudioError.self) { _ = try ChordAnalyzer().analyzeFile(at: path) }
        guard case .corrupt? = error else {
            Issue.record("expected a corrupt-audio error, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("not decodable audio") == true)
    }

    @Test func fileAnalysisMatchesBufferAnalysis() throws {
        var samples = Music.silence(seconds: 3)
        Music.addChord(ChordLabel(harte: "Bb:maj")!, into: &samples, start: 0, seconds: 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-chords-\(UUID().uuidString).flac").path
        try AudioFile.write(AudioBuffer(sampleRate: Music.sampleRate, channels: [samples, samples]), to: path, format: .flac)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reported: [Double] = []
        let (info, analysis) = try ChordAnalyzer().analyzeFile(at: path) { reported.append($0) }
        #expect(info.channelCount == 2 && abs(analysis.duration - 3) < 0.01)
        #expect(Music.dominantLabel(analysis.chords, from: 0, to: 3) == ChordLabel(harte: "Bb:maj"))
        #expect(reported.last == 1 && reported == reported.sorted())
    }
}
