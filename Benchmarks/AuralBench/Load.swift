import AuralRPC
import Foundation

struct LoadResult {
    var throughput: Double
    var p50Microseconds: Double
    var p99Microseconds: Double

    init(throughput: Double, p50Microseconds: Double, p99Microseconds: Double) {
        self.throughput = throughput
        self.p50Microseconds = p50Microseconds
        self.p99Microseconds = p99Microseconds
    }

    init(parsing line: String) throws {
        var fields: [String: Double] = [:]
        for pair in line.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { fields[String(parts[0])] = value }
        }
        guard let throughput = fields["throughput"], let p50 = fields["p50_us"], let p99 = fields["p99_us"] else {
            throw BenchError("cannot parse baseline output: \(line)")
        }
        self.init(throughput: throughput, p50Microseconds: p50, p99Microseconds: p99)
    }

    /// `inflight` tasks call `operation` back to back; the first half second
    /// warms up and is not counted.
    static func closedLoop(inflight: Int, duration: Double, warmup: Double = 0.5,
                           _ operation: @escaping @Sendable () async throws -> Void) async throws -> LoadResult {
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .seconds(warmup)
        let end = measureFrom + .seconds(duration)
        let perTask = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<inflight {
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(200_000)
                    while true {
                        let before = clock.now
                        if before >= end { break }
                        try await operation()
                        if before >= measureFrom {
                            let elapsed = clock.now - before
                            latencies.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
                        }
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [[Double]]()) { $0.append($1) }
        }
        let latencies = perTask.flatMap { $0 }.sorted()
        guard !latencies.isEmpty else { throw BenchError("no calls completed") }
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return LoadResult(throughput: Double(latencies.count) / duration,
                          p50Microseconds: percentile(0.5), p99Microseconds: percentile(0.99))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A helper process that prints "ready" once it serves.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let stdout = Pipe()

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = stdout
        try process.run()
    }

    func waitForReady() async throws {
        let handle = stdout.fileHandleForReading
        let line = try await runOnOwnThread { () -> String in
            var bytes: [UInt8] = []
            while let byte = handle.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard line == "ready" else { throw BenchError("\(process.executableURL!.lastPathComponent) did not start: \(line)") }
    }

    func stop() {
        process.terminate()
        // A server that ignores SIGTERM for 5 s is killed.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { if self.process.isRunning { kill(pid, SIGKILL) } }
        process.waitUntilExit()
    }

    /// Runs a program to completion; one that is still running after
    /// `limit` is killed, so a hung baseline cannot hang the benchmark.
    static func output(of arguments: [String], limit: Duration = .seconds(60)) async throws -> String {
        let child = try ChildProcess(arguments: arguments)
        let pid = child.process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: limit)
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        let handle = child.stdout.fileHandleForReading
        let data = try await runOnOwnThread { handle.readDataToEndOfFile() }
        child.process.waitUntilExit()
        guard child.process.terminationReason == .exit, child.process.terminationStatus == 0 else {
            throw BenchError("\(arguments[0]) failed or timed out: \(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
