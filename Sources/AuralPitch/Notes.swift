import Foundation

/// A segmented note: `midi` is the note's median pitch, corrected for the
/// recording's tuning and rounded; `f0` the median frequency actually sung.
public struct Note: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var midi: Int
    public var f0: Float

    public init(start: Double, end: Double, midi: Int, f0: Float) {
        self.start = start
        self.end = end
        self.midi = midi
        self.f0 = f0
    }
}

public enum Tuning {
    /// Deviation of the voiced frames from equal temperament at A4 = 440 Hz,
    /// in cents (−50..<50): the confidence-weighted circular mean of each
    /// frame's distance to the nearest semitone, so 49 and −49 cents average
    /// to 50, not 0.
    public static func deviationCents(_ track: PitchTrack) -> Float {
        var sine = 0.0, cosine = 0.0
        for frame in track.frames {
            guard let midi = frame.midi else { continue }
            let angle = 2 * Double.pi * Double(midi - midi.rounded())
            let weight = Double(max(frame.confidence, 0.01))
            sine += weight * sin(angle)
            cosine += weight * cos(angle)
        }
        guard sine != 0 || cosine != 0 else { return 0 }
        let cents = Float(atan2(sine, cosine) / (2 * Double.pi) * 100)
        return cents >= 50 ? cents - 100 : cents
    }
}

/// Splits a pitch track into notes: a note starts where voicing starts,
/// where the (lightly smoothed) pitch leaves the current note's running
/// mean by more than `splitSemitones` for `confirmFrames` frames in a row
/// (so vibrato and scoops do not split notes), or where the level dips by
/// `reattackDipDecibels` and rises again (the same pitch sung twice without
/// a rest); notes shorter than `minimumSeconds` are dropped.
public struct NoteSegmenter: Sendable, Equatable {
    public var splitSemitones: Float = 0.6
    public var confirmFrames: Int = 3
    public var smoothingFrames: Int = 5
    public var minimumSeconds: Double = 0.06
    /// Depth of a re-attack dip below the level of the preceding 150 ms.
    public var reattackDipDecibels: Float = 9
    /// Rise within the following 80 ms that confirms the re-attack.
    public var reattackRiseDecibels: Float = 6

    public init() {}

    public func notes(in track: PitchTrack, tuningCents: Float) -> [Note] {
        let frames = track.frames
        let offset = tuningCents / 100
        let pitch = smoothedPitch(frames, offset: offset)
        let reattacks = reattackFrames(frames, hopSeconds: track.hopSeconds)
        let minimumFrames = Int((minimumSeconds / track.hopSeconds).rounded(.up))
        var notes: [Note] = []
        var start = -1  // first frame of the open note, or -1
        var sum: Float = 0
        var count = 0
        var deviating = 0

        func close(at end: Int) {
            defer { start = -1 }
            guard start >= 0, Double(end - start) * track.hopSeconds >= minimumSeconds - 1e-9 else { return }
            let midis = (start..<end).compactMap { frames[$0].midi }.sorted()
            let f0s = (start..<end).map { frames[$0].f0 }.sorted()
            notes.append(Note(start: Double(start) * track.hopSeconds, end: Double(end) * track.hopSeconds,
                              midi: Int((midis[midis.count / 2] - offset).rounded()), f0: f0s[f0s.count / 2]))
        }

        for index in frames.indices {
            guard let current = pitch[index] else {
                close(at: index)
                continue
            }
            if start < 0 {
                (start, sum, count, deviating) = (index, current, 1, 0)
                continue
            }
            if reattacks[index], index - start >= minimumFrames {
                close(at: index)
                (start, sum, count, deviating) = (index, current, 1, 0)
                continue
            }
            if abs(current - sum / Float(count)) > splitSemitones {
                deviating += 1
                if deviating >= confirmFrames {
                    let newStart = index - deviating + 1
                    close(at: newStart)
                    start = newStart
                    sum = (newStart...index).reduce(0) { $0 + (pitch[$1] ?? current) }
                    count = deviating
                    deviating = 0
                }
            } else {
                deviating = 0
                sum += current
                count += 1
            }
        }
        close(at: frames.count)
        return notes
    }

    /// Frames just after a local minimum of the level that lies
    /// `reattackDipDecibels` under the preceding 150 ms and is followed by a
    /// rise of `reattackRiseDecibels` within 80 ms.
    func reattackFrames(_ frames: [PitchFrame], hopSeconds: Double) -> [Bool] {
        let before = max(1, Int((0.15 / hopSeconds).rounded()))
        let after = max(1, Int((0.08 / hopSeconds).rounded()))
        var result = [Bool](repeating: false, count: frames.count)
        guard frames.count > 2 else { return result }
        for index in 1..<(frames.count - 1) {
            let dip = frames[index].level
            guard dip <= frames[index - 1].level, dip < frames[index + 1].level else { continue }
            let earlier = frames[max(0, index - before)..<index].lazy.map(\.level).max() ?? dip
            let later = frames[(index + 1)...min(frames.count - 1, index + after)].lazy.map(\.level).max() ?? dip
            if earlier - dip >= reattackDipDecibels, later - dip >= reattackRiseDecibels { result[index + 1] = true }
        }
        return result
    }

    /// Tuning-corrected MIDI pitch, median-filtered within each voiced run.
    func smoothedPitch(_ frames: [PitchFrame], offset: Float) -> [Float?] {
        let raw = frames.map { $0.midi.map { $0 - offset } }
        let half = smoothingFrames / 2
        var window: [Float] = []
        window.reserveCapacity(smoothingFrames)
        return raw.indices.map { index in
            guard raw[index] != nil else { return nil }
            window.removeAll(keepingCapacity: true)
            for neighbour in max(0, index - half)...min(raw.count - 1, index + half) {
                if let value = raw[neighbour] { window.append(value) }
            }
            window.sort()
            return window[window.count / 2]
        }
    }
}

/// A melody: the pitch track, its notes and the tuning they were rounded with.
public struct MelodyTranscription: Sendable, Equatable {
    public var track: PitchTrack
    public var notes: [Note]
    public var tuningCents: Float
}

/// pYIN tracking, tuning estimation and note segmentation in one call.
public struct MelodyTranscriber: Sendable {
    public var tracker: PitchTracker
    public var segmenter: NoteSegmenter

    public init(tracker: PitchTracker = PitchTracker(), segmenter: NoteSegmenter = NoteSegmenter()) {
        self.tracker = tracker
        self.segmenter = segmenter
    }

    public func transcribe(_ samples: [Float], sampleRate: Int, progress: (Double) throws -> Void = { _ in }) throws -> MelodyTranscription {
        let track = try tracker.track(samples, sampleRate: sampleRate, progress: progress)
        let tuning = Tuning.deviationCents(track)
        return MelodyTranscription(track: track, notes: segmenter.notes(in: track, tuningCents: tuning), tuningCents: tuning)
    }
}
