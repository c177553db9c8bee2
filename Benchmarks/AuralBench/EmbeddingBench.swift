import ArgumentParser
import AuralEmbedding
import Foundation

/// all-MiniLM-L6-v2 in Swift: sentences per second at batch 1 and 32 and
/// the latency of one short sentence; sentence-transformers on the same
/// sentences, timed the same way, in the same run when its Python is given.
struct EmbeddingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "embedding")

    @Option(help: "Sentences, one per line.") var sentences: String = "Benchmarks/embedding/sentences.txt"
    @Option(help: "Seconds per measurement.") var duration: Double = 3
    @Option(help: "Python with sentence-transformers for the reference (skipped when absent).") var referencePython: String?
    @Option(help: "The reference's benchmark script.") var referenceScript: String = "Benchmarks/embedding/reference_bench.py"

    func run() async throws {
        let texts = try String(contentsOfFile: sentences, encoding: .utf8).split(separator: "\n").map(String.init)
        let clock = ContinuousClock()
        var model: MiniLMModel?
        let load = try clock.measure { model = try MiniLMModel(batchSize: 32) }
        guard let model else { return }
        emit("load", load.milliseconds, "ms")

        emit("batch1_sentences_per_s", rate(model, texts, batch: 1), "sentences/s")
        let batch32 = rate(model, texts, batch: 32)
        emit("batch32_sentences_per_s", batch32, "sentences/s")

        // One short sentence at a time, as an interactive query arrives.
        let short = "A man is playing a guitar."
        var latencies: [Double] = []
        let end = clock.now.advanced(by: .seconds(duration))
        while clock.now < end {
            latencies.append(clock.measure { _ = model.embed([short]) }.milliseconds)
        }
        latencies.sort()
        emit("short_p50", latencies[latencies.count / 2], "ms")
        emit("short_p99", latencies[min(latencies.count - 1, latencies.count * 99 / 100)], "ms")

        guard let referencePython, FileManager.default.isExecutableFile(atPath: referencePython) else {
            FileHandle.standardError.write(Data("aural-bench: no reference Python given; sentence-transformers skipped (Benchmarks/embedding/reference-venv)\n".utf8))
            return
        }
        let output = try await ChildProcess.output(
            of: [referencePython, referenceScript, ModelLocation.miniLMDirectory().path, sentences, "\(duration)"],
            limit: .seconds(600))
        var reference: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { reference[String(parts[0])] = value }
        }
        let names = ["batch32", "batch1", "batch32_1thread", "batch1_1thread"]
        for name in names {
            guard let value = reference[name + "_sentences_per_s"] else { throw BenchError("reference printed no \(name) rate: \(output)") }
            emit("reference_\(name)_sentences_per_s", value, "sentences/s")
        }
        // Against the reference's better threading: on a busy machine torch's
        // default (one OpenMP thread per core) spin-waits and can lose to one thread.
        let reference32 = max(reference["batch32_sentences_per_s"]!, reference["batch32_1thread_sentences_per_s"]!)
        emit("batch32_vs_reference_ratio", batch32 / reference32, "x")
    }

    /// Sentences per second embedding `batch` of them per call, cycling
    /// through `texts`, after half a second of warm-up.
    func rate(_ model: MiniLMModel, _ texts: [String], batch: Int) -> Double {
        let clock = ContinuousClock()
        var next = 0
        func call() {
            _ = model.embed((0..<batch).map { texts[(next + $0) % texts.count] })
            next += batch
        }
        let warm = clock.now.advanced(by: .milliseconds(500))
        while clock.now < warm { call() }
        var calls = 0
        let start = clock.now
        while clock.now - start < .seconds(duration) {
            call()
            calls += 1
        }
        return Double(calls * batch) / (clock.now - start).seconds
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench embedding.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Double { seconds * 1000 }
}
