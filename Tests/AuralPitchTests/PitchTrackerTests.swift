import AuralAudio
import AuralPitch
import Foundation
import Testing

/// Fraction of the frames centred in `range` that are voiced and within
/// `tolerance` cents of `truth(time)`.
func accuracy(_ track: PitchTrack, in range: ClosedRange<Double>, tolerance: Double, truth: (Double) -> Double) -> Double {
    let frames = track.frames.filter { range.contains($0.time) }
    let good = frames.filter { $0.voiced && Signals.cents($0.f0, truth($0.time)) <= tolerance }
    return Double(good.count) / Double(max(frames.count, 1))
}

@Suite("pYIN pitch tracking")
struct PitchTrackerTests {
    let tracker = PitchTracker()

    @Test(arguments: [(82.41, 44100), (196.0, 44100), (440.0, 22050), (1046.5, 44100), (523.25, 16000)])
    func steadyTonesWithinTenCents(f0: Double, sampleRate: Int) throws {
        let audio = Signals.tone(seconds: 1, sampleRate: sampleRate) { _ in f0 }
        let track = try tracker.track(audio, sampleRate: sampleRate)
        #expect(track.frames.count == 100)
        #expect(abs(track.duration - 1) < 1e-9)
        #expect(track.frames[37].time == 0.37)
        #expect(accuracy(track, in: 0.05...0.95, tolerance: 10) { _ in f0 } >= 0.98)
    }

    @Test func vibratoIsFollowed() throws {
        // ±50 cents at 5.5 Hz: a wide operatic vibrato.
        let truth = { (t: Double) in 330 * pow(2, 0.5 / 12 * sin(2 * Double.pi * 5.5 * t)) }
        let audio = Signals.tone(seconds: 2, sampleRate: 44100, f0: truth)
        let track = try tracker.track(audio, sampleRate: 44100)
        #expect(accuracy(track, in: 0.05...1.95, tolerance: 20, truth: truth) >= 0.95)
    }

    @Test func glidesAreFollowed() throws {
        // Two octaves up in 1.5 s, then down again.
        let truth = { (t: Double) in 150 * pow(4, t < 1.5 ? t / 1.5 : (3 - t) / 1.5) }
        let audio = Signals.tone(seconds: 3, sampleRate: 44100, f0: truth)
        let track = try tracker.track(audio, sampleRate: 44100)
        #expect(accuracy(track, in: 0.05...2.95, tolerance: 25, truth: truth) >= 0.95)
    }

    @Test func silenceIsUnvoiced() throws {
        let track = try tracker.track([Float](repeating: 0, count: 44100), sampleRate: 44100)
        #expect(track.frames.count == 100)
        #expect(track.frames.allSatisfy { !$0.voiced && $0.f0 == 0 && $0.midi == nil })
    }

    @Test func noiseIsMostlyUnvoiced() throws {
        let audio = Signals.noise(seconds: 2, sampleRate: 44100, amplitude: 0.3)
        let track = try tracker.track(audio, sampleRate: 44100)
        let voiced = track.frames.filter(\.voiced).count
        #expect(Double(voiced) / Double(track.frames.count) <= 0.1)
    }

    @Test(arguments: [110.0, 220.0, 310.0])
    func strongSecondHarmonicGivesNoOctaveError(f0: Double) throws {
        // The second harmonic is five times the fundamental: YIN's classic octave trap.
        let audio = Signals.tone(seconds: 1, sampleRate: 44100, harmonics: [0.2, 1, 0.6, 0.3]) { _ in f0 }
        let track = try tracker.track(audio, sampleRate: 44100)
        #expect(accuracy(track, in: 0.05...0.95, tolerance: 50) { _ in f0 } >= 0.95)
    }

    @Test func toneInsideNoiseIsStillTracked() throws {
        // Residual accompaniment in a separated stem: a tone 10 dB over noise.
        let f0 = 262.0
        let tone = Signals.tone(seconds: 2, sampleRate: 44100) { _ in f0 }
        let noise = Signals.noise(seconds: 2, sampleRate: 44100, amplitude: 0.1)
        let track = try tracker.track(zip(tone, noise).map { $0 + $1 }, sampleRate: 44100)
        #expect(accuracy(track, in: 0.05...1.95, tolerance: 50) { _ in f0 } >= 0.9)
    }

    @Test func plainYINReferenceTracksToneAndSilence() throws {
        let f0 = 220.0
        let audio = Signals.tone(seconds: 1, sampleRate: 44100) { t in t < 0.5 ? f0 : 0 }
        let track = try tracker.trackPlainYIN(audio, sampleRate: 44100)
        #expect(accuracy(track, in: 0.05...0.45, tolerance: 10) { _ in f0 } >= 0.95)
        #expect(track.frames.filter { $0.time > 0.55 }.allSatisfy { !$0.voiced })
    }

    @Test func badInputIsRefused() throws {
        #expect(throws: AudioError.self) { try tracker.track([0, 0, 0], sampleRate: 0) }
        var configuration = PitchTrackerConfiguration()
        configuration.minimumFrequency = 500
        configuration.maximumFrequency = 100
        #expect(throws: AudioError.self) { try PitchTracker(configuration: configuration).track([0, 0, 0], sampleRate: 44100) }
        #expect(try tracker.track([], sampleRate: 44100).frames.isEmpty)
    }

    @Test func progressCanStopTheAnalysis() throws {
        struct Stop: Error {}
        let audio = Signals.tone(seconds: 1, sampleRate: 22050) { _ in 200 }
        var reports: [Double] = []
        #expect(throws: Stop.self) {
            try tracker.track(audio, sampleRate: 22050) { fraction in
                reports.append(fraction)
                if fraction > 0.5 { throw Stop() }
            }
        }
        #expect(reports.count >= 2 && reports == reports.sorted())
    }
}
