import AuralChords
import Foundation

/// The rules of DESIGN.md §4's chords document, checked on parsed JSON:
/// every problem found, empty when the document conforms.
enum ChordsSchema {
    static func violations(_ json: Data) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return ["not a JSON object"] }
        var problems: [String] = []
        let expectedKeys: Set = ["schema", "key", "tempo_bpm", "beats", "chords"]
        if Set(object.keys) != expectedKeys { problems.append("fields \(object.keys.sorted()), expected \(expectedKeys.sorted())") }
        if object["schema"] as? String != "aural.chords/1" { problems.append("schema is not aural.chords/1") }
        switch object["key"] {
        case is NSNull: break
        case let key as String where MusicalKey(harte: key) != nil: break
        default: problems.append("key \(String(describing: object["key"])) is neither null nor C:maj/A:min style")
        }
        switch object["tempo_bpm"] {
        case is NSNull: break
        case let tempo as Double where tempo > 0: break
        default: problems.append("tempo_bpm is neither null nor a positive number")
        }
        if let beats = object["beats"] as? [Double] {
            if zip(beats, beats.dropFirst()).contains(where: { $0 >= $1 }) { problems.append("beats are not increasing") }
            if beats.contains(where: { $0 < 0 }) { problems.append("negative beat time") }
        } else {
            problems.append("beats is not an array of numbers")
        }
        guard let chords = object["chords"] as? [[String: Any]], !chords.isEmpty else {
            return problems + ["chords is not a non-empty array of objects"]
        }
        var previousEnd = 0.0
        for (index, chord) in chords.enumerated() {
            if Set(chord.keys) != ["start", "end", "label", "confidence"] { problems.append("chord \(index) fields \(chord.keys.sorted())") }
            guard let start = chord["start"] as? Double, let end = chord["end"] as? Double else {
                problems.append("chord \(index) start/end not numbers")
                continue
            }
            if abs(start - previousEnd) > 1e-9 { problems.append("chord \(index) starts at \(start), not where the previous ended (\(previousEnd))") }
            if end <= start { problems.append("chord \(index) is empty or reversed") }
            previousEnd = end
            if (chord["label"] as? String).flatMap(ChordLabel.init(harte:)) == nil { problems.append("chord \(index) label is not Harte") }
            if !((chord["confidence"] as? Double).map { (0...1).contains($0) } ?? false) { problems.append("chord \(index) confidence outside 0...1") }
        }
        return problems
    }
}
