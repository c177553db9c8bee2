import Foundation

/// The chords document of DESIGN.md §4 (`aural.chords/1`): key, tempo,
/// beats and Harte-labelled segments. Written by hand so the fields keep the
/// documented order and times a fixed precision (milliseconds).
public enum ChordsJSON {
    public static let schema = "aural.chords/1"

    public static func encode(_ analysis: ChordAnalysis) -> Data {
        var json = #"{"schema":"\#(schema)","key":"#
        json += analysis.key.map { "\"\($0)\"" } ?? "null"
        json += #","tempo_bpm":"# + (analysis.tempoBPM.map { number($0, digits: 2) } ?? "null")
        json += #","beats":["# + analysis.beats.map { number($0, digits: 3) }.joined(separator: ",") + "]"
        json += #","chords":["#
        json += analysis.chords.map { chord in
            #"{"start":\#(number(chord.start, digits: 3)),"end":\#(number(chord.end, digits: 3)),"#
                + #""label":"\#(chord.label)","confidence":\#(number(chord.confidence, digits: 3))}"#
        }.joined(separator: ",")
        json += "]}"
        return Data(json.utf8)
    }

    static func number(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
