import AuralRPC
import AuralWire
import Foundation
import Logging

public let testLogger: Logger = {
    var logger = Logger(label: "aural.tests")
    logger.logLevel = .critical
    return logger
}()

/// A fresh address for each test so tests can run in parallel.
public enum TestAddress {
    public static func ipc() -> String { "ipc:///tmp/aural-test-\(UUID().uuidString.prefix(8)).ipc" }
    public static func inproc() -> String { "inproc://aural-test-\(UUID().uuidString)" }
    public static func tcp() -> String { "tcp://127.0.0.1:\(Int.random(in: 20_000...60_000))" }
}

/// The directory holding the built executables (next to the test bundle).
public let productsDirectory: URL = {
    if let override = ProcessInfo.processInfo.environment["AURAL_BIN_DIR"] {
        return URL(fileURLWithPath: override)
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("rpc-fixture").path) { return url }
        url.deleteLastPathComponent()
    }
    fatalError("executables not found; build with `swift build --build-tests` first")
}()

public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

public func temporaryDirectory(_ label: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("aural-\(label)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public struct ServiceDidNotStart: Error, CustomStringConvertible {
    public let description: String
}

/// One of our executables running as a child process, ready once it answers
/// `aural.v1.Health/Check` at `healthURL`.
public final class ServiceProcess: @unchecked Sendable {
    public let process = Process()
    public let healthURL: String

    public static func start(_ executable: String, arguments: [String], healthURL: String,
                             environment: [String: String] = [:]) async throws -> ServiceProcess {
        let service = try ServiceProcess(executable, arguments: arguments, healthURL: healthURL, environment: environment)
        try await service.waitUntilServing()
        return service
    }

    /// Starts a process that serves no RPC (a stage worker): running, not necessarily ready.
    public static func launch(_ executable: String, arguments: [String], environment: [String: String] = [:]) throws -> ServiceProcess {
        try ServiceProcess(executable, arguments: arguments, healthURL: "", environment: environment)
    }

    private init(_ executable: String, arguments: [String], healthURL: String, environment: [String: String]) throws {
        self.healthURL = healthURL
        process.executableURL = productsDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    private func waitUntilServing() async throws {
        let client = try RPCClient(dialing: healthURL, logger: testLogger)
        defer { client.close() }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let health = try? await client.call(HealthMethods.check, .init(), timeout: .milliseconds(500)),
               health.status == .serving { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServiceDidNotStart(description: "\(process.executableURL!.lastPathComponent) did not answer at \(healthURL)")
    }

    public func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        await waitForExit()
    }

    public func terminate() { process.terminate() }

    public func waitForExit() async {
        let process = self.process
        _ = try? await runOnOwnThread { process.waitUntilExit() }
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
