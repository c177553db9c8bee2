import ArgumentParser
import AuralAudio
import AuralChords
import Foundation

/// Chords, beats, tempo and key on generated songs against their exact
/// truth, with the frame-wise 24-template reference scored the same way in
/// the same run; the real-time factor on a 4-minute song. The options set
/// analyser parameters, for the sweeps docs/CHORDS.md reports.
struct ChordBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chords")

    @Option(help: "Folder of songs from scripts/gen-songs.") var songs: String
    @Option(help: "A long song (4 minutes) for the real-time factor.") var longSong: String?
    @Flag(help: "Per-song figures on standard error.") var verbose = false
    @Option(help: "HMM probability of keeping the chord from beat to beat.") var selfTransition: Float?
    @Option(help: "Weight of the bass chroma at the root.") var bassWeight: Float?
    @Option(help: "Emission sharpness.") var scoreScale: Float?
    @Option(help: "Beat tracker tightness.") var tightness: Float?
    @Option(help: "Key: weight of the tonic-chord share.") var tonicWeight: Double?
    @Option(help: "Key: bonus for opening on the tonic chord.") var openingWeight: Double?
    @Option(help: "Tempo prior centre (BPM).") var preferredBpm: Double?
    @Option(help: "Harmonic sieve partial decay (0: off).") var harmonicDecay: Float?
    @Option(help: "Chroma FFT size at 11,025 Hz.") var chromaFft: Int?
    @Option(help: "Tempo prior width (octaves).") var priorOctaves: Double?
    @Option(help: "Print the estimated chords of this song folder.") var dump: String?

    func analyzer() -> ChordAnalyzer {
        var analyzer = ChordAnalyzer()
        if let selfTransition { analyzer.recognizer.selfTransition = selfTransition }
        if let bassWeight { analyzer.recognizer.bassWeight = bassWeight }
        if let scoreScale { analyzer.recognizer.scoreScale = scoreScale }
        if let tightness { analyzer.beatTracker.tightness = tightness }
        if let tonicWeight { analyzer.keyEstimator.tonicChordWeight = tonicWeight }
        if let openingWeight { analyzer.keyEstimator.openingChordWeight = openingWeight }
        if let preferredBpm { analyzer.tempo.preferredBPM = preferredBpm }
        if let harmonicDecay { analyzer.chroma.harmonicDecay = harmonicDecay }
        if let chromaFft { analyzer.chroma.fftSize = chromaFft }
        if let priorOctaves { analyzer.tempo.priorOctaves = priorOctaves }
        return analyzer
    }

    struct Truth {
        var key: MusicalKey
        var tempoBPM: Double
        var beats: [Double]
        var chords: [ChordSegment]

        init(path: String) throws {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
            guard let keyName = object["key"] as? String, let key = MusicalKey(harte: keyName),
                  let tempo = object["tempo_bpm"] as? Double, let beats = object["beats"] as? [Double],
                  let chords = object["chords"] as? [[String: Any]] else { throw BenchError("\(path): not a gen-songs truth file") }
            self.key = key
            tempoBPM = tempo
            self.beats = beats
            self.chords = try chords.map { chord in
                guard let start = chord["start"] as? Double, let end = chord["end"] as? Double,
                      let name = chord["label"] as? String, let label = ChordLabel(harte: name)
                else { throw BenchError("\(path): bad chord \(chord)") }
                return ChordSegment(start: start, end: end, label: label, confidence: 1)
            }
        }
    }

    func run() async throws {
        let analyzer = analyzer()
        let folders = try FileManager.default.contentsOfDirectory(atPath: songs).filter { $0.hasPrefix("song-") }.sorted()
        guard !folders.isEmpty else { throw BenchError("no song-* folders in \(songs)") }
        var recall: [String: (correct: Double, total: Double)] = [:]
        var sums: [String: Double] = [:]
        for folder in folders {
            let directory = songs + "/" + folder
            let truth = try Truth(path: directory + "/truth.json")
            let (_, signal) = try AnalysisSignal.read(path: directory + "/mix.wav")
            let details = analyzer.analyzeWithDetails(signal, progress: { _ in })
            let analysis = details.analysis
            let reference = FrameChordReference().recognize(details.features, duration: signal.duration)
            for (name, estimate) in [("", analysis.chords), ("reference_", reference)] {
                for vocabulary in ChordMetrics.Vocabulary.allCases {
                    let score = ChordMetrics.recall(reference: truth.chords, estimate: estimate, vocabulary: vocabulary)
                    let metric = name + vocabulary.rawValue
                    recall[metric] = ((recall[metric]?.correct ?? 0) + score.correct, (recall[metric]?.total ?? 0) + score.total)
                }
                let segmentation = ChordMetrics.segmentation(reference: truth.chords, estimate: estimate)
                sums[name + "segmentation", default: 0] += segmentation.overall
                sums[name + "oversegmentation", default: 0] += segmentation.over
                sums[name + "undersegmentation", default: 0] += segmentation.under
            }
            let beatF = ChordMetrics.beatFMeasure(reference: truth.beats, estimate: analysis.beats)
            sums["beat_f", default: 0] += beatF
            let tempo = analysis.tempoBPM ?? 0
            let tempoExact = ChordMetrics.tempoCorrect(estimate: tempo, reference: truth.tempoBPM)
            sums["tempo_within_4pct", default: 0] += tempoExact ? 1 : 0
            sums["tempo_within_4pct_octave", default: 0] += ChordMetrics.tempoCorrect(estimate: tempo, reference: truth.tempoBPM, allowOctave: true) ? 1 : 0
            sums["key", default: 0] += analysis.key == truth.key ? 1 : 0
            if dump == folder {
                for chord in analysis.chords {
                    let truthLabel = truth.chords.first { $0.start <= (chord.start + chord.end) / 2 && (chord.start + chord.end) / 2 < $0.end }?.label
                    FileHandle.standardError.write(Data(String(format: "  %7.2f %7.2f %-8@ %.2f truth %@\n", chord.start, chord.end,
                        chord.label.description, chord.confidence, truthLabel?.description ?? "-").utf8))
                }
            }
            if verbose {
                let majmin = ChordMetrics.recall(reference: truth.chords, estimate: analysis.chords, vocabulary: .majmin)
                let sevenths = ChordMetrics.recall(reference: truth.chords, estimate: analysis.chords, vocabulary: .sevenths)
                let offsets = Self.beatOffsets(reference: truth.beats, estimate: analysis.beats)
                FileHandle.standardError.write(Data(String(
                    format: "%@: majmin %.1f%% sevenths %.1f%% beatF %.3f (median offset %+.3f s) tempo %.1f/%.1f key %@/%@ tuning %+.2f\n",
                    folder, 100 * majmin.correct / majmin.total, 100 * sevenths.correct / sevenths.total, beatF, offsets,
                    tempo, truth.tempoBPM, analysis.key?.description ?? "-", truth.key.description, analysis.tuningSemitones).utf8))
            }
        }
        let count = Double(folders.count)
        emit("songs", count, "songs")
        for (metric, score) in recall.sorted(by: { $0.key < $1.key }) { emit(metric, 100 * score.correct / score.total, "%") }
        emit("majmin_gain_over_reference", 100 * (recall["majmin"]!.correct / recall["majmin"]!.total
            - recall["reference_majmin"]!.correct / recall["reference_majmin"]!.total), "points")
        for (metric, sum) in sums.sorted(by: { $0.key < $1.key }) {
            let percent = metric.hasPrefix("tempo") || metric == "key"
            emit(metric, percent ? 100 * sum / count : sum / count, percent ? "%" : "ratio")
        }

        if let longSong {
            let clock = ContinuousClock()
            let start = clock.now
            let (info, signal) = try AnalysisSignal.read(path: longSong)
            let decoded = clock.now
            _ = analyzer.analyze(signal)
            let finished = clock.now
            emit("rtf_4min", seconds(finished - start) / info.duration, "x")
            emit("rtf_4min_analysis_only", seconds(finished - decoded) / info.duration, "x")
            emit("seconds_4min", seconds(finished - start), "s")
        }
    }

    func seconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1e6 }

    /// Median of estimated minus nearest reference beat: whether beats come early or late.
    static func beatOffsets(reference: [Double], estimate: [Double]) -> Double {
        guard !reference.isEmpty else { return 0 }
        let offsets = estimate.map { beat in
            let nearest = reference.min { abs($0 - beat) < abs($1 - beat) }!
            return beat - nearest
        }.sorted()
        return offsets.isEmpty ? 0 : offsets[offsets.count / 2]
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench chords.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }
}
