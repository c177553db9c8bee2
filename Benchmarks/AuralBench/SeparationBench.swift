import ArgumentParser
import AuralAudio
import AuralSeparation
import Foundation

/// Separation quality (SDR, SI-SDR per stem against the rendered stems) on
/// generated songs, with plain HPSS as the reference in the same run; the
/// real-time factor on a 4-minute song; peak memory on a 60-minute file.
struct SeparationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "separation")

    @Option(help: "Folder of songs from scripts/gen-songs.") var songs: String
    @Option(help: "A long song (4 minutes) for the real-time factor.") var longSong: String?
    @Option(help: "Minutes of audio for the peak-memory run (0 skips it).") var memoryMinutes: Int = 60

    func run() async throws {
        let separator = Separator()
        let folders = try FileManager.default.contentsOfDirectory(atPath: songs).filter { $0.hasPrefix("song-") }.sorted()
        var scores: [String: [Double]] = [:]
        for folder in folders {
            let directory = songs + "/" + folder
            let mix = try AudioFile.read(directory + "/mix.wav")
            let stems = try separator.separate(mix)
            let reference = try Separator.referenceHPSS(mix)
            // Diagnostic: the same separation given the true melody (an upper
            // bound for the pitch-guided vocal mask).
            let truthData = try Data(contentsOf: URL(fileURLWithPath: directory + "/truth.json"))
            let truthJSON = try JSONSerialization.jsonObject(with: truthData) as! [String: Any]
            let frames = (truthJSON["melody_frames"] as! [String: Any])["f0_hz"] as? [Double] ?? []
            let hop = (truthJSON["melody_frames"] as! [String: Any])["hop_seconds"] as? Double ?? 0.01
            let oracle = try separator.separate(mix) { time in
                let index = Int(time / hop)
                return index < frames.count && frames[index] > 0 ? frames[index] : nil
            }
            let (hopSeconds, estimated) = try separator.estimateMelody(mix)
            var voicedFrames = 0, correct = 0, octave = 0, recalled = 0, unvoicedFrames = 0, falseAlarms = 0
            for (index, f0) in estimated.enumerated() {
                let truthIndex = Int(Double(index) * hopSeconds / hop)
                guard truthIndex < frames.count else { break }
                if frames[truthIndex] > 0 {
                    voicedFrames += 1
                    if let f0 {
                        recalled += 1
                        let cents = 1200 * log2(f0 / frames[truthIndex])
                        if abs(cents) <= 50 { correct += 1 }
                        let folded = cents - 1200 * (cents / 1200).rounded()
                        if abs(folded) <= 50 && abs(cents) > 50 { octave += 1 }
                    }
                } else {
                    unvoicedFrames += 1
                    if f0 != nil { falseAlarms += 1 }
                }
            }
            scores["guide_melody_rpa", default: []].append(Double(correct) / Double(max(1, recalled)) * 100)
            scores["guide_melody_octave_errors", default: []].append(Double(octave) / Double(max(1, recalled)) * 100)
            scores["guide_melody_voicing_recall", default: []].append(Double(recalled) / Double(max(1, voicedFrames)) * 100)
            scores["guide_melody_false_alarm", default: []].append(Double(falseAlarms) / Double(max(1, unvoicedFrames)) * 100)
            for kind in StemKind.additive {
                let truth = try AudioFile.read(directory + "/\(kind.rawValue).wav").channels
                let estimate = stems[kind].channels
                let baseline = kind == .drums ? reference.percussive.channels : reference.harmonic.channels
                scores["\(kind.rawValue)_sdr", default: []].append(SeparationMetrics.sdr(reference: truth, estimate: estimate))
                scores["\(kind.rawValue)_si_sdr", default: []].append(SeparationMetrics.siSDR(reference: truth, estimate: estimate))
                scores["hpss_\(kind.rawValue)_sdr", default: []].append(SeparationMetrics.sdr(reference: truth, estimate: baseline))
                scores["oracle_melody_\(kind.rawValue)_sdr", default: []].append(SeparationMetrics.sdr(reference: truth, estimate: oracle[kind].channels))
                scores["mix_\(kind.rawValue)_sdr", default: []].append(SeparationMetrics.sdr(reference: truth, estimate: mix.channels))
            }
        }
        emit("songs", Double(folders.count), "songs")
        for (metric, values) in scores.sorted(by: { $0.key < $1.key }) {
            emit("mean_" + metric, values.reduce(0, +) / Double(values.count), metric.hasPrefix("guide_") ? "%" : "dB")
        }
        for kind in StemKind.additive {
            let gain = zip(scores["\(kind.rawValue)_sdr"]!, scores["hpss_\(kind.rawValue)_sdr"]!).map { $0 - $1 }
            emit("\(kind.rawValue)_gain_over_hpss", gain.reduce(0, +) / Double(gain.count), "dB")
        }

        if let longSong {
            let reader = try AudioFileReader(path: longSong)
            let duration = reader.info.duration
            let clock = ContinuousClock()
            let start = clock.now
            try BlockProcessor().run(reader: reader, outputs: 4, process: { block in
                let stems = try separator.separate(block)
                return StemKind.additive.map { stems[$0] }
            }, emit: { _ in })
            let seconds = Double((clock.now - start) / .milliseconds(1)) / 1000
            emit("rtf_4min", seconds / duration, "x")
            emit("seconds_4min", seconds, "s")
        }

        if memoryMinutes > 0, let longSong {
            let long = try tile(longSong, minutes: memoryMinutes)
            defer { try? FileManager.default.removeItem(atPath: long) }
            let output = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: output) }
            let start = ContinuousClock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["separate-file", long, output]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError("separate-file failed") }
            var usage = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &usage)
            emit("peak_rss_\(memoryMinutes)min", Double(usage.ru_maxrss) / 1024, "MB")
            emit("rtf_\(memoryMinutes)min_with_flac", Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000 / Double(memoryMinutes * 60), "x")
        }
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench separation.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }

    /// Repeats a song into a WAV of `minutes`, streamed so the tiling itself stays small.
    func tile(_ path: String, minutes: Int) throws -> String {
        let song = try AudioFile.read(path)
        let output = try temporaryFolder() + "/long.wav"
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

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Separates one file to FLAC stems; run as a child so its peak memory can be read.
struct SeparateFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "separate-file")
    @Argument var input: String
    @Argument var output: String

    func run() async throws {
        _ = try Separator().separateFile(at: input, into: output, formats: [.flac])
    }
}
