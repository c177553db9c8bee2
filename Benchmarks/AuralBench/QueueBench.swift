import ArgumentParser
import AuralRPC
import AuralServices
import AuralWire
import Foundation
import Logging
import Synchronization

/// The durable queue through the real SessionService process: lease+complete
/// throughput with 1 and 8 workers (each its own client, like worker
/// processes), and GetJob latency under 8 concurrent pollers.
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Task queue and job-status reads.")

    @Option(help: "Directory holding SessionService (release build).") var binDir: String
    @Option(help: "Database URLs to measure, as NAME=URL (e.g. sqlite=sqlite:///tmp/q.db).") var database: [String]
    @Option(help: "Tasks per throughput run.") var tasks: Int = 2000
    @Option(help: "Seconds of status polling.") var duration: Double = 3

    func run() async throws {
        for entry in database {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--database takes NAME=URL") }
            try await measure(name: parts[0], url: parts[1])
        }
    }

    func measure(name: String, url: String) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("aural-queue-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let tag = UUID().uuidString.prefix(8)
        let environment = [
            "AURAL_DATA_DIR": data, "AURAL_DATABASE_URL": url, "AURAL_PIPELINE": "chords", "AURAL_LOG_LEVEL": "error",
            "AURAL_SESSION_RPC": "ipc:///tmp/aural-qb-\(tag)-session", "AURAL_WORK_RPC": "ipc:///tmp/aural-qb-\(tag)-work",
            "AURAL_EVENTS_IN": "ipc:///tmp/aural-qb-\(tag)-in", "AURAL_EVENTS_OUT": "ipc:///tmp/aural-qb-\(tag)-out",
        ]
        let service = Process()
        service.executableURL = URL(fileURLWithPath: binDir + "/SessionService")
        service.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try service.run()
        defer { service.terminate(); service.waitUntilExit() }
        let logger = Logger(label: "queue-bench")
        let session = try RPCClient(dialing: environment["AURAL_SESSION_RPC"]!, logger: logger)
        defer { session.close() }
        try await waitUntilServing(session)

        var jobIDs: [String] = []
        for workers in [1, 8] {
            jobIDs += try await createJobs(tasks, session: session, blobs: data + "/blobs")
            let started = ContinuousClock.now
            let completed = try await drain(workers: workers, workRPC: environment["AURAL_WORK_RPC"]!, logger: logger)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            guard completed == tasks else { throw BenchError("\(completed) of \(tasks) tasks completed") }
            emit("\(name)_lease_complete_\(workers)w", Double(completed) / seconds, "tasks/s")
        }

        let ids = jobIDs
        let status = try await LoadResult.closedLoop(inflight: 8, duration: duration) {
            var request = Aural_V1_GetJobRequest()
            request.jobID = ids.randomElement()!
            _ = try await session.call(SessionMethods.getJob, request, timeout: .seconds(5))
        }
        emit("\(name)_status_read_8pollers_throughput", status.throughput, "reads/s")
        emit("\(name)_status_read_8pollers_p50", status.p50Microseconds / 1000, "ms")
        emit("\(name)_status_read_8pollers_p99", status.p99Microseconds / 1000, "ms")
    }

    func waitUntilServing(_ client: RPCClient) async throws {
        for _ in 0..<200 {
            if (try? await client.call(HealthMethods.check, .init(), timeout: .milliseconds(500)))?.status == .serving { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("SessionService did not start")
    }

    func createJobs(_ count: Int, session: RPCClient, blobs: String) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: blobs + "/uploads", withIntermediateDirectories: true)
        var ids: [String] = []
        for index in 0..<count {
            let key = "uploads/bench-\(UUID().uuidString.lowercased())"
            FileManager.default.createFile(atPath: blobs + "/" + key, contents: Data("x".utf8))
            var request = Aural_V1_CreateJobRequest()
            request.input.key = key
            request.inputFilename = "bench-\(index).wav"
            ids.append(try await session.call(SessionMethods.createJob, request).jobID)
        }
        return ids
    }

    /// `workers` loops lease and complete until the queue is empty.
    func drain(workers: Int, workRPC: String, logger: Logger) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    let client = try RPCClient(dialing: workRPC, logger: logger)
                    defer { client.close() }
                    var done = 0
                    while true {
                        var lease = Aural_V1_LeaseRequest()
                        lease.stage = .chords
                        lease.workerID = "bench-\(worker)"
                        let leased = try await client.call(WorkQueueMethods.lease, lease, timeout: .seconds(5))
                        guard leased.hasTask else { return done }
                        var complete = Aural_V1_CompleteRequest()
                        complete.taskID = leased.task.taskID
                        complete.leaseToken = leased.leaseToken
                        _ = try await client.call(WorkQueueMethods.complete, complete, timeout: .seconds(5))
                        done += 1
                    }
                }
            }
            return try await group.reduce(0, +)
        }
    }

    func emit(_ metric: String, _ value: Double, _ unit: String) {
        print("bench queue.\(metric) \(String(format: "%.3f", value)) \(unit)")
    }
}
