import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Closed-loop unary echo load; prints one result line."
    )

    @Option(help: "Server port on 127.0.0.1.")
    var port: Int

    @Option(help: "Concurrent callers, each with one call in flight.")
    var inflight: Int

    @Option(help: "Request (and reply) payload size in bytes.")
    var size: Int

    @Option(help: "Measured seconds, after the warmup.")
    var duration: Double

    @Option(help: "Unmeasured seconds before the measurement window.")
    var warmup: Double = 0.5

    func validate() throws {
        guard inflight >= 1 else { throw ValidationError("--inflight must be at least 1") }
        guard size >= 0 else { throw ValidationError("--size must not be negative") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func run() async throws {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port),
            transportSecurity: .plaintext
        )
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)

        // Same window as the nng baseline: a call counts if it *completes* in
        // [start + warmup, start + warmup + duration); each caller stops after
        // its first completion at or past the end.
        let clock = ContinuousClock()
        let measureFrom = clock.now + .seconds(warmup)
        let end = measureFrom + .seconds(duration)

        let latencies = try await withGRPCClient(transport: transport) { client in
            try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<inflight {
                    group.addTask {
                        var samples: [Duration] = []
                        while true {
                            let sent = clock.now
                            let reply = try await client.unary(
                                request: ClientRequest(message: payload),
                                descriptor: echoMethod,
                                serializer: RawBytesCoder(),
                                deserializer: RawBytesCoder(),
                                options: .defaults
                            ) { try $0.message }
                            let done = clock.now
                            guard reply.count == payload.count else {
                                throw RPCError(code: .dataLoss, message: "echo returned \(reply.count) bytes")
                            }
                            if done >= end { break }
                            if done >= measureFrom { samples.append(done - sent) }
                        }
                        return samples
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }.sorted()

        // Nearest-rank percentile, as in AuralBench's Load.swift.
        func percentileMicros(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let d = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            return Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
        }
        writeLine(String(
            format: "calls=%d seconds=%.3f throughput=%.1f p50_us=%.1f p99_us=%.1f",
            latencies.count, duration, Double(latencies.count) / duration,
            percentileMicros(0.50), percentileMicros(0.99)
        ))
    }
}
