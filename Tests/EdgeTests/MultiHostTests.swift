import AuralTestSupport
import Foundation
import Testing

/// The stack spread over three network namespaces joined by veth pairs on
/// a bridge — the Edge on one host, SessionService on another, the stage
/// workers on a third — talking tcp:// only, as a multi-host deployment
/// does. Needs root (CI runs as root); skipped elsewhere unless CI=true.
extension EdgeProcessTests {
    @Suite struct MultiHostTests {
        @Test(.timeLimit(.minutes(4))) func jobCompletesAcrossThreeHosts() async throws {
            guard getuid() == 0 else {
                #expect(ProcessInfo.processInfo.environment["CI"] != "true", "CI runs as root and must run this test")
                return
            }
            let network = try VirtualNetwork(hosts: ["edge", "session", "workers"])
            defer { network.tearDown() }
            let data = try temporaryDirectory("multihost")
            let session = network.address(of: "session")
            let environment = [
                "AURAL_DATA_DIR": data, "AURAL_LOG_LEVEL": "error", "AURAL_MIN_FREE_DISK_MB": "1",
                "AURAL_SESSION_RPC": "tcp://\(session):7001", "AURAL_WORK_RPC": "tcp://\(session):7002",
                "AURAL_EVENTS_IN": "tcp://\(session):7003", "AURAL_EVENTS_OUT": "tcp://\(session):7004",
            ]
            let workers = network.address(of: "workers")
            try network.run("SessionService", on: "session", environment: environment)
            try network.run("SeparationService", ["--listen", "tcp://\(workers):7010"], on: "workers", environment: environment)
            try network.run("TranscriptionService", ["--listen", "tcp://\(workers):7011"], on: "workers", environment: environment)
            try network.run("ChordService", ["--listen", "tcp://\(workers):7012"], on: "workers", environment: environment)
            try network.run("Edge", on: "edge", environment: environment.merging(["AURAL_HTTP_PORT": "8080"]) { $1 })

            try await EdgeStack.using(baseURL: "http://\(network.address(of: "edge")):8080", dataDirectory: data) { stack in
                let upload = try await stack.uploadRaw(try TestAudio.wav(seconds: 2), filename: "remote.wav")
                #expect(upload.status == .accepted)
                let id = try #require(try upload.json()["job_id"] as? String)
                let events = try await stack.serverSentEvents(id)
                #expect(events.last?.name == "completed", "\(events.map(\.name))")
                let status = try await stack.waitUntilFinished(id)
                #expect(status["status"] as? String == "completed")
                let vocals = try await stack.get("/api/v1/jobs/\(id)/stems/vocals")
                #expect(vocals.status == .ok && vocals.body.count > 1000)
            }
        }
    }
}

/// Network namespaces, one per host, each with a veth pair into a bridge in
/// the test's own namespace (which gets .254 to reach them).
final class VirtualNetwork: @unchecked Sendable {
    private let tag = String(UUID().uuidString.prefix(6)).lowercased()
    private let hosts: [String]
    private let subnet: String
    private var processes: [Process] = []

    init(hosts: [String]) throws {
        self.hosts = hosts
        subnet = "10.\(Int.random(in: 100...199)).\(Int.random(in: 1...250))"
        try ip("link", "add", bridge, "type", "bridge")
        try ip("addr", "add", "\(subnet).254/24", "dev", bridge)
        try ip("link", "set", bridge, "up")
        for (index, host) in hosts.enumerated() {
            let namespace = self.namespace(host), cable = "v\(tag)\(index)"
            try ip("netns", "add", namespace)
            try ip("link", "add", cable, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            try ip("link", "set", cable, "master", bridge, "up")
            try ip("-n", namespace, "addr", "add", "\(address(of: host))/24", "dev", "eth0")
            try ip("-n", namespace, "link", "set", "eth0", "up")
            try ip("-n", namespace, "link", "set", "lo", "up")
        }
    }

    private var bridge: String { "br\(tag)" }
    private func namespace(_ host: String) -> String { "aural-\(tag)-\(host)" }

    func address(of host: String) -> String { "\(subnet).\(hosts.firstIndex(of: host)! + 1)" }

    /// Starts one of our executables inside `host`'s namespace.
    func run(_ executable: String, _ arguments: [String] = [], on host: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace(host), productsDirectory.appendingPathComponent(executable).path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
    }

    func tearDown() {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(15)
        while processes.contains(where: \.isRunning), Date() < deadline { usleep(50_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for host in hosts { try? ip("netns", "del", namespace(host)) }
        try? ip("link", "del", bridge)
    }

    private func ip(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NetworkSetupFailed(command: "ip " + arguments.joined(separator: " "),
                                     output: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }

    struct NetworkSetupFailed: Error, CustomStringConvertible {
        let command: String
        let output: String
        var description: String { "\(command): \(output)" }
    }
}
