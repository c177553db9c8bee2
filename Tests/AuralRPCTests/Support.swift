import AuralRPC
import AuralTestSupport
import AuralWire
import CNNG
import Foundation
import SwiftProtobuf

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

/// The `rpc-fixture` executable (Health, Echo and the Fixture methods).
enum FixtureProcess {
    static func start(url: String) async throws -> ServiceProcess {
        try await ServiceProcess.start("rpc-fixture", arguments: ["--listen", url, "--log-level", "error"], healthURL: url)
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


typealias SwiftProtobufMessage = SwiftProtobuf.Message

/// Waits until the server at `url` reports `count` calls in progress besides
/// the Health/Check asking, so a test acts on calls the server really holds
/// (a fixed sleep races with connecting under load).
func waitForCallsInFlight(_ count: Int, at url: String) async throws {
    let probe = try RPCClient(dialing: url, logger: testLogger)
    defer { probe.close() }
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        let health = try await probe.call(HealthMethods.check, .init(), timeout: .seconds(2))
        if health.inFlight >= UInt32(count + 1) { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw RPCError.deadlineExceeded("the server never held \(count) calls")
}
