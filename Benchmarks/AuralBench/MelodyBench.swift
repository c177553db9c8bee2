import ArgumentParser
import AuralAudio
import AuralPitch
import AuralSeparation
import Foundation

/// Vocal melody quality on generated songs with exact ground truth — raw
/// pitch and chroma accuracy, voicing recall and false alarm, note F-measure
/// — on the true vocal stem, Aural's separated vocals and the full mix, with
/// plain YIN scored the same way in the same run; the real-time factor on a
/// 4-minute song.
struct MelodyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "melody")

    @Option(help: "Folder of songs from scripts/gen-songs.") var songs: String
    @Option(help: "A long song folder (4 minutes) for the real-time factor.") var longSong: String?
    @Option(help: "Inputs to score: vocals, separated, mix; oracle (diagnostic: separated with the true melody as guide).") var inputs: [String] = ["vocals", "separated", "mix"]
    @Option(help: "Minutes of audio for the peak-memory run of file transcription (0 skips it).") var memoryMinutes: Int = 60
    @Option(help: "Override: unvoiced weight of the HMM.") var unvoicedWeight: Double?
    @Option(help: "Override: YIN window in seconds.") var windowSeconds: Double?
    @Option(help: "Override: beta parameter of the threshold prior (alpha 2).") var thresholdBeta: Double?
    @Option(help: "Override: per-frame pitch-jump probability.") var jumpProbability: Double?
    @Option(help: "Override: voicing switch probability.") var switchProbability: Double?
    @Option(help: "Override: minimum note seconds.") var minimumNoteSeconds: Double?

    struct Truth {
        var hopSeconds: Double
        var f0: [Double]
        var notes: [(onset: Double, f0: Double)]
    }

    func run() async throws {
        var configuration = PitchTrackerConfiguration()
        if let unvoicedWeight { configuration.unvoicedWeight = unvoicedWeight }
        if let windowSeconds { configuration.windowSeconds = windowSeconds }
        if let thresholdBeta { configuration.thresholdBeta = thresholdBeta }
        if let jumpProbability { configuration.pitchJumpProbability = jumpProbability }
        if let switchProbability { configuration.voicingSwitchProbability = switchProbability }
        var segmenter = NoteSegmenter()
        if let minimumNoteSeconds { segmenter.minimumSeconds = minimumNoteSeconds }
        let transcriber = MelodyTranscriber(tracker: PitchTracker(configuration: configuration), segmenter: segmenter)
        let separator = Separator()

        let folders = try FileManager.default.contentsOfDirectory(atPath: songs).filter { $0.hasPrefix("song-") }.sorted()
        var scores: [String: [Double]] = [:]
        for folder in folders {
            let directory = songs + "/" + folder
            let truth = try Self.truth(directory + "/truth.json")
            for input in inputs {
                let audio: AudioBuffer
                switch input {
                case "vocals": audio = try AudioFile.read(directory + "/vocals.wav")
                case "mix": audio = try AudioFile.read(directory + "/mix.wav")
                case "separated": audio = try separator.separate(try AudioFile.read(directory + "/mix.wav"))[.vocals]
                case "oracle":
                    audio = try separator.separate(try AudioFile.read(directory + "/mix.wav")) { time in
                        let index = Int(time / truth.hopSeconds)
                        return index < truth.f0.count && truth.f0[index] > 0 ? truth.f0[index] : nil
                    }[.vocals]
                default: throw ValidationError("unknown input \(input) (vocals, separated, mix, oracle)")
                }
                let samples = audio.mono()
                let pyin = try transcriber.transcribe(samples, sampleRate: audio.sampleRate)
                let yinTrack = try transcriber.tracker.trackPlainYIN(samples, sampleRate: audio.sampleRate)
                let yinNotes = segmenter.notes(in: yinTrack, tuningCents: Tuning.deviationCents(yinTrack))
                for (method, track, notes) in [("", pyin.track, pyin.notes), ("yin_", yinTrack, yinNotes)] {
                    for (metric, value) in Self.score(track, notes: notes, against: truth) {
                        scores["\(method)\(input)_\(metric)", default: []].append(value)
                    }
                }
            }
        }
        emit("songs", Double(folders.count), "songs")
        for (metric, values) in scores.sorted(by: { $0.key < $1.key }) {
            emit(metric, values.reduce(0, +) / Double(values.count), metric.hasSuffix("note_f") ? "F" : "%")
        }

        if let longSong {
            let clock = ContinuousClock()
            let decodeStart = clock.now
            let vocals = try AudioFile.read(longSong + "/vocals.wav")
            let decodeSeconds = (clock.now - decodeStart) / .seconds(1)
            let samples = vocals.mono()
            let start = clock.now
            let result = try transcriber.transcribe(samples, sampleRate: vocals.sampleRate)
            let seconds = (clock.now - start) / .seconds(1)
            let yinStart = clock.now
            _ = try transcriber.tracker.trackPlainYIN(samples, sampleRate: vocals.sampleRate)
            let yinSeconds = (clock.now - yinStart) / .seconds(1)
            let jsonStart = clock.now
            let json = FramesJSON.encode(result)
            let jsonSeconds = (clock.now - jsonStart) / .seconds(1)
            emit("rtf_4min", seconds / vocals.duration, "x")
            emit("rtf_4min_with_decode_and_json", (seconds + decodeSeconds + jsonSeconds) / vocals.duration, "x")
            emit("yin_rtf_4min", yinSeconds / vocals.duration, "x")
            emit("frames_json_4min", Double(json.count) / 1_000_000, "MB")
        }

        if memoryMinutes > 0, let longSong {
            let long = try repeated(longSong + "/vocals.wav", minutes: memoryMinutes)
            defer { try? FileManager.default.removeItem(atPath: (long as NSString).deletingLastPathComponent) }
            let start = ContinuousClock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["transcribe-file", long]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError("transcribe-file failed") }
            var usage = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &usage)
            emit("peak_rss_\(memoryMinutes)min", Double(usage.ru_maxrss) / 1024, "MB")
            emit("rtf_\(memoryMinutes)min_file_to_json", (ContinuousClock.now - start) / .seconds(1) / Double(memoryMinutes * 60), "x")
        }
    }

    /// The file at `path` repeated into a WAV of `minutes` in a new temporary folder.
    func repeated(_ path: String, minutes: Int) throws -> String {
        let song = try AudioFile.read(path)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aural-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let output = folder + "/long.wav"
        let writer = try AudioFileWriter(path: output, format: .wav(.pcm16), sampleRate: song.sampleRate, channelCount: song.channelCount)
        var remaining = minutes * 60 * song.sampleRate
        while remaining > 0 {
            let frames = min(remaining, song.frameCount)
            try writer.write(song.slice(0..<frames))
            remaining -= frames
        }
        try writer.close()
        return output
    }

    static func truth(_ path: String) throws -> Truth {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        guard let frames = json?["melody_frames"] as? [String: Any], let f0 = frames["f0_hz"] as? [Double],
              let hop = frames["hop_seconds"] as? Double, let notes = json?["melody_notes"] as? [[String: Any]]
        else { throw ValidationError("\(path) has no melody_frames / melody_notes") }
        return Truth(hopSeconds: hop, f0: f0, notes: notes.compactMap { note in
            guard let start = note["start"] as? Double, let f0 = note["f0_hz"] as? Double else { return nil }
            return (start, f0)
        })
    }

    /// MIREX-style frame metrics (in %) and the onset-only note F-measure
    /// (onset within ±50 ms, pitch within ±50 cents, one-to-one matching).
    static func score(_ track: PitchTrack, notes: [Note], against truth: Truth) -> [(String, Double)] {
        var truthVoiced = 0, truthUnvoiced = 0, recalled = 0, falseAlarms = 0, pitchCorrect = 0, chromaCorrect = 0
        for (index, reference) in truth.f0.enumerated() {
            let estimate = index < track.frames.count ? track.frames[index] : nil
            let voiced = estimate?.voiced ?? false
            guard reference > 0 else {
                truthUnvoiced += 1
                if voiced { falseAlarms += 1 }
                continue
            }
            truthVoiced += 1
            guard voiced, let estimate else { continue }
            recalled += 1
            let cents = 1200 * log2(Double(estimate.f0) / reference)
            if abs(cents) <= 50 { pitchCorrect += 1 }
            if abs(cents - 1200 * (cents / 1200).rounded()) <= 50 { chromaCorrect += 1 }
        }
        var matched = Set<Int>()
        var hits = 0
        for note in notes {
            let candidates = truth.notes.indices.filter { index in
                !matched.contains(index) && abs(truth.notes[index].onset - note.start) <= 0.05
                    && abs(1200 * log2(Double(note.f0) / truth.notes[index].f0)) <= 50
            }
            if let best = candidates.min(by: { abs(truth.notes[$0].onset - note.start) < abs(truth.notes[$1].onset - note.start) }) {
                matched.insert(best)
                hits += 1
            }
        }
        let precision = Double(hits) / Double(max(notes.count, 1))
        let recall = Double(hits) / Double(max(truth.notes.count, 1))
        let percent = { (part: Int, whole: Int) in Double(part) / Double(max(whole, 1)) * 100 }
        return [
            ("rpa", percent(pitchCorrect, truthVoiced)),
            ("rca", percent(chromaCorrect, truthVoiced)),
            ("voicing_recall", percent(recalled, truthVoiced)),
            ("voicing_false_alarm", percent(falseAlarms, truthUnvoiced)),
            ("note_f", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0),
        ]
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench melody.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }
}

/// Transcribes one file to frames JSON; run as a child so its peak memory can be read.
struct TranscribeFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transcribe-file")
    @Argument var input: String

    func run() async throws {
        let (_, transcription) = try MelodyTranscriber().transcribeFile(at: input)
        _ = FramesJSON.encode(transcription)
    }
}
