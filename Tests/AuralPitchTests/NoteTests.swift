import AuralAudio
import AuralPitch
import AuralTestSupport
import Foundation
import Testing

/// A melody with rests, legato steps, a repeated pitch after a rest and a
/// leap, sung `detune` cents sharp.
struct KnownMelody {
    struct Sung { var start: Double; var end: Double; var midi: Int }

    static let notes: [Sung] = [
        Sung(start: 0.10, end: 0.45, midi: 60),
        Sung(start: 0.45, end: 0.80, midi: 62),  // legato
        Sung(start: 0.80, end: 1.20, midi: 64),  // legato
        Sung(start: 1.30, end: 1.60, midi: 65),  // after a rest
        Sung(start: 1.70, end: 2.10, midi: 65),  // same pitch again
        Sung(start: 2.10, end: 2.60, midi: 72),  // leap, legato
        Sung(start: 2.70, end: 2.82, midi: 67),  // short but real
    ]

    static func audio(detuneCents: Double = 0, sampleRate: Int = 44100) -> [Float] {
        Signals.tone(seconds: 3, sampleRate: sampleRate) { t in
            guard let note = notes.first(where: { $0.start <= t && t < $0.end }) else { return 0 }
            return Signals.hz(midi: Double(note.midi) + detuneCents / 100)
        }
    }
}

@Suite("Notes and tuning")
struct NoteTests {
    let transcriber = MelodyTranscriber()

    func expectMatches(_ notes: [Note]) {
        #expect(notes.count == KnownMelody.notes.count)
        for (found, sung) in zip(notes, KnownMelody.notes) {
            #expect(found.midi == sung.midi, "note at \(sung.start)")
            #expect(abs(found.start - sung.start) <= 0.04, "onset of the note at \(sung.start): \(found.start)")
            #expect(abs(found.end - sung.end) <= 0.06, "end of the note at \(sung.start): \(found.end)")
        }
    }

    @Test func knownMelodyIsSegmented() throws {
        let result = try transcriber.transcribe(KnownMelody.audio(), sampleRate: 44100)
        expectMatches(result.notes)
        #expect(abs(result.tuningCents) < 3)
        for (found, sung) in zip(result.notes, KnownMelody.notes) {
            #expect(Signals.cents(found.f0, Signals.hz(midi: Double(sung.midi))) < 5)
        }
    }

    @Test(arguments: [30.0, -40.0])
    func detunedMelodyKeepsItsNotes(detune: Double) throws {
        let result = try transcriber.transcribe(KnownMelody.audio(detuneCents: detune), sampleRate: 44100)
        #expect(abs(Double(result.tuningCents) - detune) < 4)
        expectMatches(result.notes)
    }

    @Test func vibratoDoesNotSplitANote() throws {
        let audio = Signals.tone(seconds: 1.2, sampleRate: 44100) { t in
            t < 0.1 || t > 1.1 ? 0 : 392 * pow(2, 0.45 / 12 * sin(2 * Double.pi * 5.5 * t))
        }
        let notes = try transcriber.transcribe(audio, sampleRate: 44100).notes
        #expect(notes.map(\.midi) == [67])
    }

    @Test func repeatedPitchIsSplitAtItsReattack() throws {
        // G4 sung three times without a rest: the level dips 20 dB for 40 ms
        // before each new attack, as a singer's re-articulation does.
        let attacks = [0.1, 0.6, 1.1]
        let audio = Signals.tone(seconds: 1.7, sampleRate: 44100, gain: { t in
            attacks.dropFirst().contains { t >= $0 - 0.04 && t < $0 } ? 0.1 : 1
        }) { t in t < 0.1 || t > 1.6 ? 0 : 392 }
        let notes = try transcriber.transcribe(audio, sampleRate: 44100).notes
        #expect(notes.map(\.midi) == [67, 67, 67])
        for (note, attack) in zip(notes, attacks) { #expect(abs(note.start - attack) <= 0.03, "onset \(note.start)") }
    }

    @Test func tremoloDoesNotSplitANote() throws {
        // ±3 dB of amplitude modulation at 6 Hz: expression, not a new note.
        let audio = Signals.tone(seconds: 1.2, sampleRate: 44100, gain: { t in pow(10, 3 / 20 * sin(2 * Double.pi * 6 * t)) }) { t in
            t < 0.1 || t > 1.1 ? 0 : 294
        }
        #expect(try transcriber.transcribe(audio, sampleRate: 44100).notes.map(\.midi) == [62])
    }

    @Test func notesShorterThanTheMinimumAreDropped() throws {
        // Hand-made track: 3 voiced frames (30 ms), a rest, then 20 frames.
        var frames = (0..<40).map { PitchFrame(time: Double($0) * 0.01, f0: 0, voiced: false, confidence: 0) }
        for k in 2..<5 { frames[k] = PitchFrame(time: frames[k].time, f0: 440, voiced: true, confidence: 0.9) }
        for k in 15..<35 { frames[k] = PitchFrame(time: frames[k].time, f0: 220, voiced: true, confidence: 0.9) }
        let notes = NoteSegmenter().notes(in: PitchTrack(hopSeconds: 0.01, duration: 0.4, frames: frames), tuningCents: 0)
        #expect(notes.count == 1)
        let note = try #require(notes.first)
        #expect(abs(note.start - 0.15) < 1e-9 && abs(note.end - 0.35) < 1e-9 && note.midi == 57 && note.f0 == 220)
    }

    @Test func tuningIsACircularMean() {
        // Frames alternate between +45 cents (over C4) and −45 cents (under C#4):
        // their circular mean is 50 cents, where a plain mean would say 0.
        let frames = (0..<20).map { k in
            PitchFrame(time: Double(k) * 0.01, f0: Float(Signals.hz(midi: 60 + (k % 2 == 0 ? 0.45 : 0.55))), voiced: true, confidence: 1)
        }
        let cents = Tuning.deviationCents(PitchTrack(hopSeconds: 0.01, duration: 0.2, frames: frames))
        #expect(abs(abs(cents) - 50) < 0.5)
    }
}

@Suite("File transcription")
struct FileTranscriptionTests {
    @Test(arguments: [48000, 16000])
    func stereoFileAtAnyRateGivesTheKnownMelody(sampleRate: Int) throws {
        let melody = KnownMelody.audio(sampleRate: sampleRate)
        let path = try temporaryDirectory("melody-file") + "/melody.flac"
        try AudioFile.write(AudioBuffer(sampleRate: sampleRate, channels: [melody, melody]), to: path, format: .flac)
        var reports: [Double] = []
        let (info, result) = try MelodyTranscriber().transcribeFile(at: path) { reports.append($0) }
        #expect(info.sampleRate == sampleRate && info.channelCount == 2)
        #expect(result.track.duration == 3 && result.track.frames.count == 300)
        #expect(result.notes.map(\.midi) == KnownMelody.notes.map(\.midi))
        #expect(reports.first! < 0.25 && reports.last == 1 && reports == reports.sorted())
    }

    @Test func corruptFileIsAnAudioError() throws {
        let path = try temporaryDirectory("melody-file") + "/broken.wav"
        try Data("RIFF....WAVE but nothing else".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: AudioError.self) { try MelodyTranscriber().transcribeFile(at: path) }
    }
}
