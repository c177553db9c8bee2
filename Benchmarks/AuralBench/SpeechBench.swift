import ArgumentParser
import AuralAudio
import AuralSpeech
import Foundation

/// Diarization on generated dialogues against their exact RTTM truth: DER
/// with a 250 ms collar and without, the speaker count, the real-time factors
/// of voice activity detection and of diarization, and a two-speaker k-means
/// on raw MFCC frames scored the same way in the same run. The options set
/// diarizer parameters, for the sweeps docs/SPEECH.md reports.
struct SpeechBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "speech")

    @Option(help: "Folder of dialogues from scripts/gen-dialogues.") var dialogues: String
    @Flag(help: "Per-dialogue figures on standard error.") var verbose = false
    @Option(help: "Force this many speakers (default: automatic).") var speakers: Int?
    @Flag(help: "Give the diarizer each dialogue's true speaker count (to separate counting from labelling errors).") var oracleCount = false
    @Option(help: "Cosine merge threshold for the automatic count.") var mergeThreshold: Float?
    @Option(help: "Minimum seconds of a speaker's windows.") var minSpeakerSeconds: Double?
    @Option(help: "Resegmentation speaker-change penalty (log-likelihood).") var switchPenalty: Float?
    @Option(help: "Resegmentation rounds (0: window labels only).") var rounds: Int?
    @Option(help: "Mixture components per speaker.") var components: Int?
    @Option(help: "Embedding window seconds.") var window: Double?
    @Option(help: "Embedding hop seconds.") var hop: Double?
    @Flag(help: "Embeddings of means only (no standard deviations).") var meansOnly = false
    @Option(help: "VAD onset fraction of the floor-to-level range.") var onsetFraction: Float?
    @Option(help: "VAD keep fraction.") var offsetFraction: Float?
    @Option(help: "VAD minimum silence seconds.") var minSilence: Double?
    @Option(help: "VAD hangover seconds.") var hangover: Double?
    @Option(help: "VAD maximum spectral flatness of speech.") var maxFlatness: Float?
    @Option(help: "Shortest output segment seconds.") var minSegment: Double?
    @Option(help: "ΔBIC penalty weight for merging speakers after resegmentation (0: off).") var bicPenalty: Float?

    func diarizer() -> Diarizer {
        var diarizer = Diarizer()
        if let mergeThreshold { diarizer.mergeThreshold = mergeThreshold }
        if let minSpeakerSeconds { diarizer.minSpeakerSeconds = minSpeakerSeconds }
        if let switchPenalty { diarizer.resegmenter.switchPenalty = switchPenalty }
        if let rounds { diarizer.resegmenter.rounds = rounds }
        if let components { diarizer.resegmenter.components = components }
        if let window { diarizer.embedder.windowSeconds = window }
        if let hop { diarizer.embedder.hopSeconds = hop }
        if meansOnly { diarizer.embedder.includeDeviations = false }
        if let onsetFraction { diarizer.vad.onsetFraction = onsetFraction }
        if let offsetFraction { diarizer.vad.offsetFraction = offsetFraction }
        if let minSilence { diarizer.vad.minSilence = minSilence }
        if let hangover { diarizer.vad.hangover = hangover }
        if let maxFlatness { diarizer.vad.maxFlatness = maxFlatness }
        if let minSegment { diarizer.minSegmentSeconds = minSegment }
        if let bicPenalty { diarizer.bicPenalty = bicPenalty }
        return diarizer
    }

    func run() async throws {
        let diarizer = diarizer()
        let folders = try FileManager.default.contentsOfDirectory(atPath: dialogues).filter { $0.hasPrefix("dialogue-") }.sorted()
        guard !folders.isEmpty else { throw BenchError("no dialogue-* folders in \(dialogues)") }
        let clock = ContinuousClock()
        var sums: [String: Double] = [:]
        var audioSeconds = 0.0, vadSeconds = 0.0, diarizationSeconds = 0.0
        for folder in folders {
            let directory = dialogues + "/" + folder
            let truth = try RTTM.parse(String(contentsOfFile: directory + "/truth.rttm", encoding: .utf8)).values.first ?? []
            let truthSpeakers = Set(truth.map(\.speaker)).count
            let samples = try Self.samples16k(path: directory + "/dialogue.wav")
            let duration = Double(samples.count) / Double(SpeechFrames.sampleRate)
            audioSeconds += duration

            // Voice activity alone: features and decisions.
            var start = clock.now
            let frames = SpeechFeatureExtractor.frames(of: samples)
            let speech = diarizer.vad.detect(frames)
            vadSeconds += seconds(clock.now - start)

            start = clock.now
            let result = diarizer.diarize(samples: samples, speakers: oracleCount ? .exactly(truthSpeakers) : speakers.map { .exactly($0) } ?? .automatic())
            diarizationSeconds += seconds(clock.now - start)

            let reference = KMeansReference().diarize(frames, speech: speech)
            let vadAsOneSpeaker = speech.map { SpeakerSegment(start: $0.start, end: $0.end, speaker: "speech") }
            let truthAsOneSpeaker = truth.map { SpeakerSegment(start: $0.start, end: $0.end, speaker: "speech") }
            let vad = DiarizationScoring.score(reference: truthAsOneSpeaker, hypothesis: vadAsOneSpeaker)
            sums["vad_missed", default: 0] += vad.missedRate
            sums["vad_false_alarm", default: 0] += vad.falseAlarmRate

            var line = "\(folder): \(truthSpeakers) speakers, found \(result.speakerCount)"
            for (name, segments) in [("", result.segments), ("reference_", reference)] {
                for (suffix, collar) in [("der_collar250ms", 0.25), ("der_no_collar", 0.0)] {
                    let score = DiarizationScoring.score(reference: truth, hypothesis: segments, collar: collar)
                    sums[name + suffix, default: 0] += score.errorRate
                    if collar == 0.25 {
                        sums[name + "collar250ms_missed", default: 0] += score.missedRate
                        sums[name + "collar250ms_false_alarm", default: 0] += score.falseAlarmRate
                        sums[name + "collar250ms_confusion", default: 0] += score.confusionRate
                    }
                    line += String(format: " %@%@ %.1f%%", name, suffix, 100 * score.errorRate)
                }
            }
            sums["speaker_count_correct", default: 0] += result.speakerCount == truthSpeakers ? 1 : 0
            if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let count = Double(folders.count)
        emit("dialogues", count, "dialogues")
        emit("audio_seconds", audioSeconds, "s")
        for (metric, sum) in sums.sorted(by: { $0.key < $1.key }) { emit(metric, 100 * sum / count, "%") }
        emit("der_collar250ms_gain_over_reference", 100 * (sums["reference_der_collar250ms"]! - sums["der_collar250ms"]!) / count, "points")
        emit("rtf_vad", vadSeconds / audioSeconds, "x")
        emit("rtf_diarization", diarizationSeconds / audioSeconds, "x")
    }

    /// The file as 16 kHz mono (the dialogues already are).
    static func samples16k(path: String) throws -> [Float] {
        let buffer = try AudioFile.read(path)
        let mono = AudioBuffer(sampleRate: buffer.sampleRate, channels: [buffer.mono()])
        return try Resampler.resample(mono, to: SpeechFrames.sampleRate).channels[0]
    }

    func seconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1e6 }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench speech.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }
}

/// The reference: two speakers by k-means on the raw MFCC frames inside the
/// same voice activity, each frame on its own — no windows, no normalisation,
/// no smoothing, no speaker count.
struct KMeansReference {
    var iterations = 20

    func diarize(_ frames: SpeechFrames, speech: [TimeSpan]) -> [SpeakerSegment] {
        let d = frames.cepstrumCount
        let ranges = speech.map { max(0, SpeechFrames.frame(at: $0.start))..<min(frames.count, SpeechFrames.frame(at: $0.end)) }
        let points = ranges.flatMap { Array($0) }
        guard points.count >= 2 else {
            return speech.map { SpeakerSegment(start: $0.start, end: $0.end, speaker: "SPEAKER_00") }
        }
        let x = frames.cepstra
        func distance(_ t: Int, _ centroid: [Float]) -> Float {
            var sum: Float = 0
            for k in 0..<d { sum += (x[t * d + k] - centroid[k]) * (x[t * d + k] - centroid[k]) }
            return sum
        }
        // Deterministic k-means++-style start: the first frame, then the frame farthest from it.
        let first = Array(frames.cepstrum(points[0]))
        let farthest = points.max { distance($0, first) < distance($1, first) }!
        var centroids = [first, Array(frames.cepstrum(farthest))]
        var labels = [Int](repeating: 0, count: frames.count)
        for _ in 0..<iterations {
            var sums = [[Float]](repeating: [Float](repeating: 0, count: d), count: 2)
            var counts = [0, 0]
            for t in points {
                let label = distance(t, centroids[0]) <= distance(t, centroids[1]) ? 0 : 1
                labels[t] = label
                counts[label] += 1
                for k in 0..<d { sums[label][k] += x[t * d + k] }
            }
            for c in 0..<2 where counts[c] > 0 { centroids[c] = sums[c].map { $0 / Float(counts[c]) } }
        }
        return SpeakerSegment.segments(frameLabels: labels, speech: ranges)
    }
}
