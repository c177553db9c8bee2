import Foundation

/// The frames document of DESIGN.md §4, schema `aural.frames/1`: every
/// frame with nulls for f0 and MIDI when unvoiced, then the notes. Written
/// by hand rather than by JSONEncoder so unvoiced fields are explicit nulls,
/// numbers keep a fixed, short precision, and a 4-minute song (24 000
/// frames) encodes in milliseconds.
public enum FramesJSON {
    public static let schema = "aural.frames/1"

    public static func encode(_ transcription: MelodyTranscription) -> Data {
        let track = transcription.track
        var text = "{\"schema\":\"\(schema)\",\"hop_seconds\":\(number(track.hopSeconds, digits: 4))"
        text += ",\"duration\":\(number(track.duration, digits: 3))"
        text += ",\"frames\":["
        text.reserveCapacity(track.frames.count * 80 + transcription.notes.count * 60 + 200)
        for (index, frame) in track.frames.enumerated() {
            if index > 0 { text += "," }
            text += "{\"time\":\(number(frame.time, digits: 2))"
            if let midi = frame.midi {
                text += ",\"f0_hz\":\(number(Double(frame.f0), digits: 2)),\"midi\":\(number(Double(midi), digits: 3))"
            } else {
                text += ",\"f0_hz\":null,\"midi\":null"
            }
            text += ",\"confidence\":\(number(Double(frame.confidence), digits: 3)),\"voiced\":\(frame.midi != nil)}"
        }
        text += "],\"notes\":["
        for (index, note) in transcription.notes.enumerated() {
            if index > 0 { text += "," }
            text += "{\"start\":\(number(note.start, digits: 2)),\"end\":\(number(note.end, digits: 2))"
            text += ",\"midi\":\(note.midi),\"f0_hz\":\(number(Double(note.f0), digits: 2))}"
        }
        text += "]}"
        return Data(text.utf8)
    }

    /// A finite decimal with at most `digits` fraction digits, trailing zeros dropped.
    static func number(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "0" }
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
