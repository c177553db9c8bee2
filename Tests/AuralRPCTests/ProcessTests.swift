import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// Against the real `rpc-fixture` executable in its own process.
@Suite("Server processes: crashes, restarts, shutdown, deduplication")
struct ProcessTests {
    static let increment = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("aural.v1.Fixture/Increment", idempotent: false)

    @Test func killedServerMidCallFailsWithinTheDeadlineAndIdempotentCallSucceedsAfterRestart() async throws {
        let url = TestAddress.ipc()
        var fixture = try await FixtureProcess.start(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)
        #expect(try await client.call(HealthMethods.echo, echoRequest("up"), timeout: .seconds(5)).data == Data("up".utf8))

        // A mutating call in flight when the server dies fails fast with UNAVAILABLE.
        async let mutating: Aural_V1_EchoResponse = client.call(Self.increment, echoRequest("", delayMs: 5000), timeout: .seconds(10))
        // An idempotent call in flight reports DEADLINE_EXCEEDED at its deadline at the latest.
        async let idempotent: Aural_V1_EchoResponse = client.call(HealthMethods.echo, echoRequest("x", delayMs: 5000), timeout: .seconds(1))
        try await waitForCallsInFlight(2, at: url)
        let killedAt = ContinuousClock.now
        await fixture.kill()

        do {
            _ = try await mutating
            Issue.record("mutating call succeeded on a killed server")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
            #expect(ContinuousClock.now - killedAt < .seconds(2))
        }
        do {
            _ = try await idempotent
            Issue.record("idempotent call succeeded on a killed server")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded || error.code == .unavailable)
        }

        // Issued while the server is down; answered once it is back.
        async let afterRestart = client.call(HealthMethods.echo, echoRequest("again"), timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(300))
        fixture = try await FixtureProcess.start(url: url)
        #expect(try await afterRestart.data == Data("again".utf8))
        client.close()
        await fixture.kill()
    }

    /// A client polling with short deadlines while its server is killed and
    /// restarted (a stage worker's heartbeats, a status poller) recovers.
    /// It used to hang now and then: an AIO handle freed from inside its own
    /// completion callback deadlocked one of nng's task threads.
    @Test func pollingClientRecoversAfterServerRestart() async throws {
        let url = TestAddress.ipc()
        var fixture = try await FixtureProcess.start(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)
        defer { client.close() }
        let poller = Task {
            var lastSuccess = ContinuousClock.now
            while !Task.isCancelled {
                if (try? await client.call(HealthMethods.echo, echoRequest("poll", delayMs: 20), timeout: .milliseconds(500))) != nil {
                    lastSuccess = .now
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return lastSuccess
        }
        try await Task.sleep(for: .milliseconds(300))
        await fixture.kill()
        try await Task.sleep(for: .milliseconds(700))
        fixture = try await FixtureProcess.start(url: url)
        let restarted = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        poller.cancel()
        let lastSuccess = await poller.value
        let after = try? await client.call(HealthMethods.echo, echoRequest("after"), timeout: .seconds(2))
        #expect(lastSuccess > restarted)
        #expect(after?.data == Data("after".utf8))
        await fixture.kill()
    }

    @Test func gracefulShutdownFinishesCallsInFlight() async throws {
        let url = TestAddress.ipc()
        let fixture = try await FixtureProcess.start(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)
        async let slow = client.call(HealthMethods.echo, echoRequest("finished", delayMs: 3000), timeout: .seconds(15))
        try await waitForCallsInFlight(1, at: url)
        fixture.terminate()  // SIGTERM
        #expect(try await slow.data == Data("finished".utf8))
        await fixture.waitForExit()
        #expect(fixture.process.terminationReason == .exit)
        #expect(fixture.process.terminationStatus == 0)
        client.close()
    }

    @Test func duplicateMutatingRequestRunsOnce() async throws {
        let url = TestAddress.ipc()
        let fixture = try await FixtureProcess.start(url: url)
        let metadata = ["idempotency-key": "key-1", "request-id": "r-1"]
        let frame = try envelope(Self.increment.name, echoRequest("", delayMs: 300), metadata: metadata)
        // Two copies at once (the second waits for the first), then a late third.
        async let first = runOnOwnThread { try rawRequest(url, frame) }
        async let second = runOnOwnThread { try rawRequest(url, frame) }
        let replies = try await [first, second] + [runOnOwnThread { try rawRequest(url, frame) }]
        let counts = try replies.map { try Aural_V1_EchoResponse(serializedBytes: Aural_V1_RpcReply(serializedBytes: $0).payload).data }
        #expect(counts == Array(repeating: Data("1".utf8), count: 3))

        // A different key runs again.
        let client = try RPCClient(dialing: url, logger: testLogger)
        let next = try await client.call(Self.increment, echoRequest(""), timeout: .seconds(5))
        #expect(next.data == Data("2".utf8))
        client.close()
        await fixture.kill()
    }
}
