import AuralRPC
import AuralWire
import CNNG
import Foundation
import Logging

let testLogger: Logger = {
    var logger = Logger(label: "aural.tests")
    logger.logLevel = .critical
    return logger
}()

/// A fresh address for each test so tests can run in parallel.
enum TestAddress {
    static func ipc() -> String { "ipc:///tmp/aural-test-\(UUID().uuidString.prefix(8)).ipc" }
    static func inproc() -> String { "inproc://aural-test-\(UUID().uuidString)" }
    static func tcp() -> String { "tcp://127.0.0.1:\(Int.random(in: 20_000...60_000))" }
}

/// The directory holding the built products (rpc-fixture, the test bundle).
let productsDirectory: URL = {
    if let override = ProcessInfo.processInfo.environment["AURAL_BIN_DIR"] {
        return URL(fileURLWithPath: override)
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("rpc-fixture").path) { return url }
        url.deleteLastPathComponent()
    }
    fatalError("rpc-fixture not found; build with `swift build --build-tests` first")
}()

let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// An in-process server serving on `url` until the test ends.
final class RunningServer: Sendable {
    let server: RPCServer
    let task: Task<Void, Never>

    init(url: String, router: RPCRouter = RPCRouter(), configure: (inout RPCServerConfiguration) -> Void = { _ in }) throws {
        var configuration = RPCServerConfiguration(serviceName: "test")
        configure(&configuration)
        server = try RPCServer(configuration: configuration, router: router, logger: testLogger)
        try server.listen(url)
        let server = self.server
        task = Task { try? await server.run() }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// A child process running the `rpc-fixture` executable.
final class FixtureProcess: @unchecked Sendable {
    let process = Process()
    let url: String

    static func start(url: String, extraArguments: [String] = []) async throws -> FixtureProcess {
        try await blocking { try FixtureProcess(url: url, extraArguments: extraArguments) }
    }

    private init(url: String, extraArguments: [String]) throws {
        self.url = url
        process.executableURL = productsDirectory.appendingPathComponent("rpc-fixture")
        process.arguments = ["--listen", url, "--log-level", "error"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Wait for "ready" so the listener exists before the test proceeds.
        let line = output.fileHandleForReading.readLine()
        guard line == "ready" else { throw FixtureError.notReady(line ?? "<eof>") }
    }

    func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        await waitForExit()
    }

    func terminate() { process.terminate() }

    func waitForExit() async {
        let process = self.process
        _ = try? await blocking { process.waitUntilExit() }
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

enum FixtureError: Error { case notReady(String) }

extension FileHandle {
    /// Reads one line byte by byte (the fixture writes only "ready\n").
    func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let chunk = readData(ofLength: 1)
            guard let byte = chunk.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }
}

func echoRequest(_ text: String, delayMs: UInt32 = 0) -> Aural_V1_EchoRequest {
    var request = Aural_V1_EchoRequest()
    request.data = Data(text.utf8)
    request.delayMs = delayMs
    return request
}

/// Sends raw bytes with a plain nng REQ socket, bypassing AuralRPC's client,
/// and returns the raw reply frame.
func rawRequest(_ url: String, _ bytes: [UInt8], timeoutMs: Int32 = 5000) throws -> [UInt8] {
    var socket = nng_socket()
    guard nng_req0_open(&socket) == 0 else { throw NNGError(-1) }
    defer { nng_close(socket) }
    nng_socket_set_ms(socket, NNG_OPT_RECVTIMEO, timeoutMs)
    nng_socket_set_ms(socket, NNG_OPT_SENDTIMEO, timeoutMs)
    var rv = nng_dial(socket, url, nil, 0)
    guard rv == 0 else { throw NNGError(rv) }
    rv = bytes.withUnsafeBytes { nng_send(socket, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count, 0) }
    guard rv == 0 else { throw NNGError(rv) }
    var buffer: UnsafeMutableRawPointer?
    var size = 0
    rv = withUnsafeMutablePointer(to: &buffer) { pointer in
        nng_recv(socket, UnsafeMutableRawPointer(pointer), &size, Int32(NNG_FLAG_ALLOC))
    }
    guard rv == 0, let buffer else { throw NNGError(rv) }
    defer { nng_free(buffer, size) }
    return [UInt8](UnsafeRawBufferPointer(start: buffer, count: size))
}

func envelope(_ method: String, _ payload: some SwiftProtobufMessage, metadata: [String: String] = [:], timeoutMs: UInt64 = 0) throws -> [UInt8] {
    var request = Aural_V1_RpcRequest()
    request.method = method
    request.payload = try payload.serializedData()
    request.metadata = metadata
    request.timeoutMs = timeoutMs
    return try request.serializedBytes()
}

import SwiftProtobuf
typealias SwiftProtobufMessage = SwiftProtobuf.Message

/// Runs blocking work (raw nng calls, waiting on pipes) on its own thread so
/// it never occupies Swift's cooperative pool, which has one thread per core.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
