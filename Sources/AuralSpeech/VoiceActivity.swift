import Foundation

/// A stretch of time, in seconds.
public struct TimeSpan: Sendable, Hashable, Codable {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    public var duration: Double { end - start }
}

/// Energy-and-spectrum voice activity detection on `SpeechFrames`.
///
/// A frame is a speech candidate when its energy is well above the
/// recording's noise floor and its spectrum is not flat (hiss and hum are
/// flat or tonal-but-steady; voiced speech has formant structure). Decisions
/// use hysteresis (a higher threshold to start speech than to keep it), a
/// hangover (speech continues a few frames after the energy drops, covering
/// weak word endings), then runs shorter than `minSpeech` are dropped and
/// pauses shorter than `minSilence` bridged.
public struct VoiceActivityDetector: Sendable {
    /// Start threshold: the floor plus this share of the floor-to-speech-level range (dB).
    public var onsetFraction: Float = 0.3
    /// Keep threshold, lower than the start threshold.
    public var offsetFraction: Float = 0.2
    /// Thresholds are at least this far above the noise floor (dB).
    public var minimumMarginDB: Float = 8
    /// Frames with a flatness above this are not speech unless very loud.
    public var maxFlatness: Float = 0.5
    /// Seconds speech is held after the last frame above the keep threshold.
    public var hangover: Double = 0.08
    public var minSpeech: Double = 0.15
    public var minSilence: Double = 0.25
    /// Below this level (dBFS) nothing is speech, however quiet the floor.
    public var absoluteFloorDB: Float = -65

    public init() {}

    public func detect(_ frames: SpeechFrames) -> [TimeSpan] {
        let n = frames.count
        guard n > 0 else { return [] }
        // Noise floor and speech level from the energy distribution: the
        // quiet tail is background, the loud tail speech.
        let sorted = frames.energyDB.sorted()
        let floor = max(sorted[Int(Double(n - 1) * 0.05)], -100)
        let level = sorted[Int(Double(n - 1) * 0.95)]
        let range = max(level - floor, 0)
        let onset = max(floor + max(minimumMarginDB, onsetFraction * range), absoluteFloorDB)
        let keep = max(floor + max(minimumMarginDB * 0.75, offsetFraction * range), absoluteFloorDB)
        // A frame louder than this is speech even if its spectrum is flat (fricatives).
        let loud = floor + 0.6 * range

        let hangoverFrames = Int((hangover / SpeechFrames.hopSeconds).rounded())
        var active = [Bool](repeating: false, count: n)
        var speaking = false, held = 0
        for i in 0..<n {
            let e = frames.energyDB[i]
            let voiced = frames.flatness[i] < maxFlatness || e > loud
            if speaking {
                if e > keep && (voiced || e > onset) {
                    held = hangoverFrames
                } else if held > 0 {
                    held -= 1
                } else {
                    speaking = false
                }
            } else if e > onset && voiced {
                speaking = true
                held = hangoverFrames
            }
            active[i] = speaking
        }
        return Self.runs(active, minSpeech: minSpeech, minSilence: minSilence)
    }

    /// Runs of true frames as time spans, after bridging short gaps and then
    /// dropping short runs.
    static func runs(_ active: [Bool], minSpeech: Double, minSilence: Double) -> [TimeSpan] {
        var spans: [(Int, Int)] = []
        var start: Int?
        for (i, on) in active.enumerated() {
            if on, start == nil { start = i }
            if !on, let s = start { spans.append((s, i)); start = nil }
        }
        if let s = start { spans.append((s, active.count)) }
        let gapFrames = Int((minSilence / SpeechFrames.hopSeconds).rounded())
        var merged: [(Int, Int)] = []
        for span in spans {
            if let last = merged.last, span.0 - last.1 < gapFrames {
                merged[merged.count - 1].1 = span.1
            } else {
                merged.append(span)
            }
        }
        let minFrames = Int((minSpeech / SpeechFrames.hopSeconds).rounded())
        return merged.filter { $0.1 - $0.0 >= minFrames }.map {
            TimeSpan(start: SpeechFrames.seconds(ofFrame: $0.0), end: SpeechFrames.seconds(ofFrame: $0.1))
        }
    }
}
