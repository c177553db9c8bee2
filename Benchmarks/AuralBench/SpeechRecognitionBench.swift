import ArgumentParser
import AuralAudio
import AuralSpeech
import Foundation

/// Word error rate of the speech-to-text engines on sentences spoken by
/// several synthetic voices (espeak-ng, and Festival's where installed), and
/// the real-time factor. PocketSphinx 5 (what AuralSpeech links) and, when
/// Debian's `pocketsphinx_continuous` (0.8+5prealpha) is installed, that
/// older engine as the reference, on the same clips in the same run.
struct SpeechRecognitionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stt")

    @Option(help: "Sentences, one a line (`#` starts a comment).") var sentences = "Benchmarks/speech/sentences.txt"
    @Option(help: "espeak-ng voices.") var voices = ["en-us+m3", "en-us+f2", "en+m7", "en-us", "en-gb+f4"]
    @Option(help: "Festival voices used when installed (kal_diphone, cmu_us_slt_arctic_hts).")
    var festivalVoices = ["kal_diphone", "cmu_us_slt_arctic_hts"]
    @Option(help: "Debian's PocketSphinx 5prealpha decoder (skipped when absent).")
    var debianDecoder = "/usr/bin/pocketsphinx_continuous"
    @Flag(help: "Each hypothesis on standard error.") var verbose = false

    struct Score {
        var errors = 0, words = 0
        var decodeSeconds = 0.0, audioSeconds = 0.0
        var wer: Double { 100 * Double(errors) / Double(max(1, words)) }
        mutating func add(_ other: Score) {
            errors += other.errors; words += other.words
            decodeSeconds += other.decodeSeconds; audioSeconds += other.audioSeconds
        }
    }

    func run() async throws {
        let texts = try String(contentsOfFile: sentences, encoding: .utf8).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !texts.isEmpty else { throw BenchError("no sentences in \(sentences)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aural-bench-stt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let recognizer = try PocketSphinxRecognizer()
        let debian = FileManager.default.isExecutableFile(atPath: debianDecoder) ? debianDecoder : nil
        if debian == nil { FileHandle.standardError.write(Data("aural-bench: \(debianDecoder) absent; Debian reference skipped\n".utf8)) }
        var allVoices = voices.map { ("espeak", $0) }
        for voice in festivalVoices {
            if Self.festivalHas(voice) { allVoices.append(("festival", voice)) }
            else { FileHandle.standardError.write(Data("aural-bench: Festival voice \(voice) not installed; skipped\n".utf8)) }
        }

        var totals: [String: Score] = [:]
        var longClip: [Float] = []
        for (synthesizer, voice) in allVoices {
            var scores: [String: Score] = [:]
            for (index, text) in texts.enumerated() {
                let clip = folder.appendingPathComponent("\(voice)-\(index).wav").path
                try Self.synthesize(text, voice: voice, with: synthesizer, to: clip)
                // Both engines get the same 16 kHz 16-bit clip.
                let audio = try Self.writeModelRate(clip)
                let reference = RecognitionMetrics.normalizedWords(text)
                if voice == voices.first { longClip += audio.channels[0] + [Float](repeating: 0, count: 8_000) }

                let started = ContinuousClock.now
                let ours = try recognizer.recognize(file: clip, speech: nil).text
                scores["pocketsphinx5", default: Score()].add(score(reference, ours, started, audio.duration))
                if verbose { FileHandle.standardError.write(Data("\(voice) 5.x: \(text) → \(ours)\n".utf8)) }

                if let debian {
                    let started = ContinuousClock.now
                    let theirs = try Self.output(of: [debian, "-infile", clip, "-logfn", "/dev/null"])
                    scores["debian5prealpha", default: Score()].add(score(reference, theirs, started, audio.duration))
                    if verbose { FileHandle.standardError.write(Data("\(voice) 5prealpha: \(text) → \(theirs)\n".utf8)) }
                }
            }
            for (engine, score) in scores.sorted(by: { $0.key < $1.key }) {
                emit("\(engine)_wer_\(Self.metricName(voice))", score.wer, "%")
                totals[engine, default: Score()].add(score)
            }
        }
        for (engine, score) in totals.sorted(by: { $0.key < $1.key }) {
            emit("\(engine)_wer", score.wer, "%")
            emit("\(engine)_rtf_per_sentence", score.decodeSeconds / score.audioSeconds, "x")
        }

        // The real-time factor as a service sees it: one long file of all the
        // first voice's sentences, decoded in pieces at pauses.
        let long = AudioBuffer(sampleRate: PocketSphinxRecognizer.sampleRate, channels: [longClip])
        let started = ContinuousClock.now
        _ = try recognizer.recognize(long, speech: nil)
        emit("pocketsphinx5_rtf", Self.seconds(since: started) / long.duration, "x")
        emit("long_clip_seconds", long.duration, "s")
        emit("sentences", Double(texts.count), "sentences")
        emit("voices", Double(allVoices.count), "voices")
    }

    func score(_ reference: [String], _ hypothesis: String, _ started: ContinuousClock.Instant, _ duration: Double) -> Score {
        let elapsed = Self.seconds(since: started)
        return Score(errors: RecognitionMetrics.wordErrors(reference: reference, hypothesis: RecognitionMetrics.normalizedWords(hypothesis)),
                     words: reference.count, decodeSeconds: elapsed, audioSeconds: duration)
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench stt.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }

    static func metricName(_ voice: String) -> String {
        String(voice.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    static func festivalHas(_ voice: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/text2wave") else { return false }
        let roots = ["/usr/share/festival/voices/english/", "/usr/share/festival/voices/us/"]
        return roots.contains { FileManager.default.fileExists(atPath: $0 + voice) }
    }

    static func synthesize(_ text: String, voice: String, with synthesizer: String, to path: String) throws {
        if synthesizer == "espeak" {
            _ = try output(of: ["/usr/bin/env", "espeak-ng", "-v", voice, "-w", path, text])
        } else {
            let textFile = path + ".txt"
            try text.write(toFile: textFile, atomically: true, encoding: .utf8)
            _ = try output(of: ["/usr/bin/text2wave", "-eval", "(voice_\(voice))", textFile, "-o", path])
        }
    }

    /// Rewrites `path` as 16 kHz mono 16-bit WAV (what Debian's decoder
    /// requires) and returns its samples.
    static func writeModelRate(_ path: String) throws -> AudioBuffer {
        let reader = try AudioFileReader(path: path)
        var mono: [Float] = []
        while let block = try reader.read(frames: 1 << 16) { mono += block.mono() }
        let audio = try Resampler.resample(AudioBuffer(sampleRate: reader.info.sampleRate, channels: [mono]), to: PocketSphinxRecognizer.sampleRate)
        let writer = try AudioFileWriter(path: path, format: .wav(.pcm16), sampleRate: audio.sampleRate, channelCount: 1)
        try writer.write(audio)
        try writer.close()
        return audio
    }

    static func output(of arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("\(arguments[0]) failed (\(process.terminationStatus))") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
