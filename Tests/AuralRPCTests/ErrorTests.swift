import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

@Suite("Errors, deadlines and bad input")
struct ErrorTests {
    static let fail = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("test/Fail", idempotent: true)
    static let crash = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("test/Crash", idempotent: true)
    static let unknown = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("test/NoSuchMethod", idempotent: true)
    struct PlainError: Error {}

    static func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(fail) { request, _ in
            throw RPCError.notFound("no job \(String(decoding: request.data, as: UTF8.self))")
        }
        router.register(crash) { _, _ in throw PlainError() }
        return router
    }

    @Test func handlerErrorsMapToStatusCodes() async throws {
        let url = TestAddress.inproc()
        let server = try RunningServer(url: url, router: Self.router())
        let client = try RPCClient(dialing: url, logger: testLogger)

        await #expect(throws: RPCError.notFound("no job 42")) {
            try await client.call(Self.fail, echoRequest("42"), timeout: .seconds(5))
        }
        let crash = await #expect(throws: RPCError.self) {
            try await client.call(Self.crash, echoRequest(""), timeout: .seconds(5))
        }
        #expect(crash?.code == .internal)
        #expect(crash?.message.contains("PlainError") == false)  // internals stay in the log
        let unknown = await #expect(throws: RPCError.self) {
            try await client.call(Self.unknown, echoRequest(""), timeout: .seconds(5))
        }
        #expect(unknown?.code == .unimplemented)
        client.close()
        await server.stop()
    }

    @Test func clientDeadlineIsEnforcedOnTime() async throws {
        let url = TestAddress.ipc()
        let server = try RunningServer(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)
        let start = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            try await client.call(HealthMethods.echo, echoRequest("slow", delayMs: 5000), timeout: .milliseconds(300))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .deadlineExceeded)
        #expect(elapsed < .seconds(2))
        // The server is still fine afterwards.
        let reply = try await client.call(HealthMethods.echo, echoRequest("fast"), timeout: .seconds(5))
        #expect(reply.data == Data("fast".utf8))
        client.close()
        await server.stop()
    }

    @Test func serverEnforcesTheDeadlineInTheEnvelope() async throws {
        let url = TestAddress.ipc()
        let server = try RunningServer(url: url)
        // A raw client that waits for a 6 s call but tells the server it allows 200 ms.
        let frame = try envelope(HealthMethods.echo.name, echoRequest("x", delayMs: 6000), timeoutMs: 200)
        let start = ContinuousClock.now
        let reply = try await runOnOwnThread { try rawRequest(url, frame) }
        let status = try Aural_V1_RpcReply(serializedBytes: reply).status
        #expect(status.code == .deadlineExceeded)
        #expect(ContinuousClock.now - start < .seconds(4))  // generous: the suite runs in parallel on 2 cores
        await server.stop()
    }

    @Test func garbageAndTruncatedFramesGetErrorRepliesWhileOthersAreServed() async throws {
        let url = TestAddress.ipc()
        let server = try RunningServer(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)

        let good = try envelope(HealthMethods.echo.name, echoRequest(String(repeating: "payload", count: 20)))
        let badFrames: [[UInt8]] = [
            [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13],     // not protobuf at all
            Array(good.prefix(good.count - 10)),           // truncated envelope
            try envelope(HealthMethods.echo.name, echoRequest("")) + [0x12, 0x05, 0x0a],  // a field cut short
        ]
        // Well-formed clients keep being served while the bad frames arrive.
        async let served = withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask {
                    let reply = try await client.call(HealthMethods.echo, echoRequest("ok\(index)"), timeout: .seconds(10))
                    #expect(reply.data == Data("ok\(index)".utf8))
                }
            }
            try await group.waitForAll()
        }
        for frame in badFrames {
            let reply = try await runOnOwnThread { try rawRequest(url, frame) }
            let status = try Aural_V1_RpcReply(serializedBytes: reply).status
            #expect(status.code == .invalidArgument)
        }
        // A valid envelope whose payload is not the method's message.
        var wrongPayload = Aural_V1_RpcRequest()
        wrongPayload.method = HealthMethods.echo.name
        wrongPayload.payload = Data([0x0a, 0xff, 0x01])
        let wrongFrame: [UInt8] = try wrongPayload.serializedBytes()
        let reply = try await runOnOwnThread { try rawRequest(url, wrongFrame) }
        #expect(try Aural_V1_RpcReply(serializedBytes: reply).status.code == .invalidArgument)

        try await served
        client.close()
        await server.stop()
    }

    @Test func oversizedMessagesAreRefusedWithResourceExhausted() async throws {
        let url = TestAddress.ipc()
        let server = try RunningServer(url: url) { $0.maxMessageBytes = 64 << 10 }
        var generous = RPCClientConfiguration()
        generous.maxMessageBytes = 1 << 20
        let client = try RPCClient(dialing: url, configuration: generous, logger: testLogger)
        let big = echoRequest(String(repeating: "a", count: 100 << 10))

        // The server refuses it ...
        let refused = await #expect(throws: RPCError.self) {
            try await client.call(HealthMethods.echo, big, timeout: .seconds(5))
        }
        #expect(refused?.code == .resourceExhausted)
        // ... a client with a smaller limit refuses before sending ...
        var strict = RPCClientConfiguration()
        strict.maxMessageBytes = 64 << 10
        let strictClient = try RPCClient(dialing: url, configuration: strict, logger: testLogger)
        let local = await #expect(throws: RPCError.self) {
            try await strictClient.call(HealthMethods.echo, big, timeout: .seconds(5))
        }
        #expect(local?.code == .resourceExhausted)
        // ... and normal calls still work.
        let reply = try await client.call(HealthMethods.echo, echoRequest("small"), timeout: .seconds(5))
        #expect(reply.data == Data("small".utf8))
        client.close()
        strictClient.close()
        await server.stop()
    }
}
