import Foundation

/// One analysis frame of a pitch track.
public struct PitchFrame: Sendable, Equatable {
    /// Centre of the frame, seconds from the start.
    public var time: Double
    /// Fundamental frequency in Hz; 0 when unvoiced.
    public var f0: Float
    public var voiced: Bool
    /// pYIN: the frame's probability of being voiced (the mass of its pitch
    /// candidates). Plain YIN: 1 − the normalized difference at the chosen lag.
    public var confidence: Float
    /// Level of the analysis window in dBFS (mean square); note segmentation
    /// finds re-attacks of a repeated pitch by its dips.
    public var level: Float

    public init(time: Double, f0: Float, voiced: Bool, confidence: Float, level: Float = silenceDecibels) {
        self.time = time
        self.f0 = f0
        self.voiced = voiced
        self.confidence = confidence
        self.level = level
    }

    /// Fractional MIDI pitch (69 = A4 = 440 Hz); nil when unvoiced.
    public var midi: Float? { voiced && f0 > 0 ? midiPitch(hz: f0) : nil }
}

/// Per-frame f0 at a fixed hop; frame k is centred at k × hopSeconds.
public struct PitchTrack: Sendable, Equatable {
    public var hopSeconds: Double
    /// Length of the analysed audio in seconds.
    public var duration: Double
    public var frames: [PitchFrame]

    public init(hopSeconds: Double, duration: Double, frames: [PitchFrame]) {
        self.hopSeconds = hopSeconds
        self.duration = duration
        self.frames = frames
    }
}

/// The level reported for digital silence.
public let silenceDecibels: Float = -120

@inline(__always)
func decibels(meanSquare: Float) -> Float { max(silenceDecibels, 10 * log10(meanSquare)) }

@inline(__always)
public func midiPitch(hz: Float) -> Float { 69 + 12 * log2(hz / 440) }

@inline(__always)
public func frequency(midi: Float) -> Float { 440 * exp2((midi - 69) / 12) }
