import AuralAudio
import AuralPitch
import Foundation
import Testing

/// Checks a parsed frames document against DESIGN.md §4 (`aural.frames/1`).
/// Returns the reasons it does not conform; empty when it does.
func framesSchemaViolations(_ document: Any) -> [String] {
    var problems: [String] = []
    guard let root = document as? [String: Any] else { return ["not an object"] }
    if Set(root.keys) != ["schema", "hop_seconds", "duration", "frames", "notes"] { problems.append("top-level keys \(root.keys.sorted())") }
    if root["schema"] as? String != "aural.frames/1" { problems.append("schema \(String(describing: root["schema"]))") }
    if (root["hop_seconds"] as? Double) != 0.01 { problems.append("hop_seconds \(String(describing: root["hop_seconds"]))") }
    if !(root["duration"] is Double) { problems.append("duration is not a number") }
    guard let frames = root["frames"] as? [[String: Any]], let notes = root["notes"] as? [[String: Any]] else {
        return problems + ["frames or notes are not arrays of objects"]
    }
    for (index, frame) in frames.enumerated() {
        guard Set(frame.keys) == ["time", "f0_hz", "midi", "confidence", "voiced"],
              let time = frame["time"] as? Double, frame["confidence"] is Double, let voiced = frame["voiced"] as? Bool
        else { problems.append("frame \(index): \(frame)"); continue }
        if abs(time - Double(index) * 0.01) > 1e-6 { problems.append("frame \(index) time \(time)") }
        let pitched = frame["f0_hz"] is Double && frame["midi"] is Double
        let nulls = frame["f0_hz"] is NSNull && frame["midi"] is NSNull
        if voiced ? !pitched : !nulls { problems.append("frame \(index): voiced \(voiced) with f0 \(frame["f0_hz"]!)") }
    }
    for (index, note) in notes.enumerated() {
        guard Set(note.keys) == ["start", "end", "midi", "f0_hz"], let start = note["start"] as? Double,
              let end = note["end"] as? Double, note["midi"] is Int, note["f0_hz"] is Double, start < end
        else { problems.append("note \(index): \(note)"); continue }
    }
    return problems
}

@Suite("Frames JSON")
struct FramesJSONTests {
    @Test func documentFollowsTheSchema() throws {
        let result = try MelodyTranscriber().transcribe(KnownMelody.audio(), sampleRate: 44100)
        let data = FramesJSON.encode(result)
        let document = try JSONSerialization.jsonObject(with: data)
        #expect(framesSchemaViolations(document) == [])

        let root = try #require(document as? [String: Any])
        let frames = try #require(root["frames"] as? [[String: Any]])
        let notes = try #require(root["notes"] as? [[String: Any]])
        #expect(frames.count == result.track.frames.count)
        #expect(notes.count == result.notes.count)
        #expect(root["duration"] as? Double == 3)
        // Both kinds of frame occur, so the null and number branches were both checked.
        #expect(frames.contains { $0["voiced"] as? Bool == true } && frames.contains { $0["voiced"] as? Bool == false })
        #expect(notes.first?["midi"] as? Int == KnownMelody.notes[0].midi)
    }

    @Test func validatorRejectsBrokenDocuments() throws {
        let broken: [String: Any] = [
            "schema": "aural.frames/1", "hop_seconds": 0.01, "duration": 0.02,
            "frames": [["time": 0.0, "f0_hz": NSNull(), "midi": NSNull(), "confidence": 0.1, "voiced": true]],
            "notes": [],
        ]
        #expect(framesSchemaViolations(broken).count == 1)
    }
}

/// Against a song rendered by scripts/gen-songs, when the benchmark data exists.
@Suite("Generated song")
struct GeneratedSongTests {
    static let songDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build-data/songs/song-00").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: songDirectory + "/truth.json"),
                   "needs .build-data/songs (make bench BENCH=separation generates it)"))
    func trueVocalStemMatchesItsGroundTruth() throws {
        let truthData = try Data(contentsOf: URL(fileURLWithPath: Self.songDirectory + "/truth.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: truthData) as? [String: Any])
        let melody = try #require((truth["melody_frames"] as? [String: Any])?["f0_hz"] as? [Double])
        let vocals = try AudioFile.read(Self.songDirectory + "/vocals.wav")
        // The first 12 s keep the test fast.
        let slice = Array(vocals.mono().prefix(12 * vocals.sampleRate))
        let track = try PitchTracker().track(slice, sampleRate: vocals.sampleRate)
        var voicedTruth = 0, correct = 0
        for (index, frame) in track.frames.enumerated() where index < melody.count && melody[index] > 0 {
            voicedTruth += 1
            if frame.voiced && Signals.cents(frame.f0, melody[index]) <= 50 { correct += 1 }
        }
        #expect(voicedTruth > 100)
        #expect(Double(correct) / Double(voicedTruth) >= 0.9)
    }
}
