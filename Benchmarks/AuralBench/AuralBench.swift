// `make bench` driver. Prints every figure as `bench GROUP.METRIC VALUE UNIT`.
import ArgumentParser
import AuralRPC
import AuralWire
import Foundation
import Logging

@main
struct AuralBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aural-bench",
        abstract: "Aural benchmarks.",
        subcommands: [RPCBench.self, SeparationBench.self, SeparateFile.self, QueueBench.self, MelodyBench.self, TranscribeFile.self,
                      ChordBench.self, SpeechBench.self, EmbeddingBench.self, SpeechRecognitionBench.self])
}

struct RPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "AuralRPC against raw nng (C) and gRPC-Swift 2 over HTTP/2, same payloads, same run.")

    @Option(help: "Seconds per measurement.") var duration: Double = 3
    @Option(help: "Payload bytes per call.") var size: Int = 1024
    @Option(help: "Directory holding rpc-fixture (release build).") var binDir: String
    @Option(help: "Raw nng C benchmark binary.") var nngBench: String
    @Option(help: "gRPC benchmark binary (skipped when absent).") var grpcBench: String?
    @Option(help: "Only these measurements, e.g. ipc64 (for profiling).") var only: [String] = []

    func run() async throws {
        var aural: [String: LoadResult] = [:]
        for transport in ["ipc", "tcp"] {
            for inflight in [1, 64] {
                let name = "\(transport)\(inflight)"
                if !only.isEmpty {
                    if only.contains(name) { report("aural_\(name)", try await measureAural(transport: transport, inflight: inflight)) }
                    continue
                }
                let raw = try await measureExternal(
                    server: [nngBench, "server", address(transport)], client: { url in
                        [nngBench, "client", url, "--inflight", "\(inflight)", "--size", "\(size)", "--duration", "\(duration)"]
                    })
                let ours = try await measureAural(transport: transport, inflight: inflight)
                aural[name] = ours
                report("nng_\(name)", raw)
                report("aural_\(name)", ours)
                emit("\(name)_vs_nng_ratio", ours.throughput / raw.throughput, "x")
                emit("\(name)_p50_overhead", ours.p50Microseconds - raw.p50Microseconds, "us")
            }
        }
        if only.isEmpty, let grpcBench, FileManager.default.isExecutableFile(atPath: grpcBench) {
            for inflight in [1, 64] {
                let port = Int.random(in: 20_000...60_000)
                let grpc = try await measureExternal(
                    server: [grpcBench, "server", "--port", "\(port)"], client: { _ in
                        [grpcBench, "client", "--port", "\(port)", "--inflight", "\(inflight)", "--size", "\(size)", "--duration", "\(duration)"]
                    })
                report("grpc_tcp\(inflight)", grpc)
                emit("ipc\(inflight)_vs_grpc_ratio", aural["ipc\(inflight)"]!.throughput / grpc.throughput, "x")
                emit("tcp\(inflight)_vs_grpc_ratio", aural["tcp\(inflight)"]!.throughput / grpc.throughput, "x")
            }
        } else if only.isEmpty {
            FileHandle.standardError.write(Data("aural-bench: gRPC baseline not built; skipping (see Benchmarks/grpc)\n".utf8))
        }
    }

    func address(_ transport: String) -> String {
        transport == "ipc"
            ? "ipc:///tmp/aural-bench-\(UUID().uuidString.prefix(8)).ipc"
            : "tcp://127.0.0.1:\(Int.random(in: 20_000...60_000))"
    }

    func report(_ name: String, _ result: LoadResult) {
        emit("\(name)_throughput", result.throughput, "calls/s")
        emit("\(name)_p50", result.p50Microseconds, "us")
        emit("\(name)_p99", result.p99Microseconds, "us")
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench rpc.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }

    /// AuralRPC: the `rpc-fixture` server process and a client in this process.
    func measureAural(transport: String, inflight: Int) async throws -> LoadResult {
        let url = address(transport)
        let server = try ChildProcess(arguments: [binDir + "/rpc-fixture", "--listen", url, "--log-level", "error"])
        defer { server.stop() }
        try await server.waitForReady()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let client = try RPCClient(dialing: url, logger: logger)
        defer { client.close() }
        var request = Aural_V1_EchoRequest()
        request.data = Data(repeating: 0x5a, count: size)
        let payload = request
        return try await LoadResult.closedLoop(inflight: inflight, duration: duration) {
            _ = try await client.call(HealthMethods.echo, payload, timeout: .seconds(10))
        }
    }

    /// A baseline whose server and client are external programs printing
    /// `calls=… seconds=… throughput=… p50_us=… p99_us=…`.
    func measureExternal(server serverArguments: [String], client: (String) -> [String]) async throws -> LoadResult {
        let server = try ChildProcess(arguments: serverArguments)
        defer { server.stop() }
        try await server.waitForReady()
        let url = serverArguments.count > 2 ? serverArguments[2] : ""
        let output = try await ChildProcess.output(of: client(url))
        return try LoadResult(parsing: output)
    }
}
