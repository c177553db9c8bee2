import AuralRPC
import AuralTestSupport
import AuralWire
import Foundation
import Testing

@Suite("Round trips over every transport")
struct RoundTripTests {
    @Test(arguments: ["inproc", "ipc", "tcp"])
    func echoAndHealth(transport: String) async throws {
        let url = switch transport {
        case "inproc": TestAddress.inproc()
        case "ipc": TestAddress.ipc()
        default: TestAddress.tcp()
        }
        let server = try RunningServer(url: url)
        let client = try RPCClient(dialing: url, logger: testLogger)

        let reply = try await client.call(HealthMethods.echo, echoRequest("hello \(transport)"), timeout: .seconds(5))
        #expect(String(decoding: reply.data, as: UTF8.self) == "hello \(transport)")

        let health = try await client.call(HealthMethods.check, .init(), timeout: .seconds(5))
        #expect(health.status == .serving)
        #expect(health.service == "test")
        #expect(health.inFlight == 1)  // the Check call itself

        client.close()
        await server.stop()
    }

    @Test func thousandConcurrentCallsFromSeveralClientsAllAnsweredCorrectly() async throws {
        let url = TestAddress.ipc()
        let server = try RunningServer(url: url)
        let clients = try (0..<4).map { _ in try RPCClient(dialing: url, logger: testLogger) }

        let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<1000 {
                let client = clients[index % clients.count]
                group.addTask {
                    let text = "call-\(index)-" + String(repeating: "x", count: index % 97)
                    let reply = try await client.call(HealthMethods.echo, echoRequest(text), timeout: .seconds(20))
                    return String(decoding: reply.data, as: UTF8.self) == text
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(answers.count == 1000)
        #expect(answers.allSatisfy { $0 })
        clients.forEach { $0.close() }
        await server.stop()
    }

    @Test func callsQueueUntilTheServerStarts() async throws {
        let url = TestAddress.ipc()
        let client = try RPCClient(dialing: url, logger: testLogger)
        async let reply = client.call(HealthMethods.echo, echoRequest("early"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(200))
        let server = try RunningServer(url: url)
        #expect(String(decoding: try await reply.data, as: UTF8.self) == "early")
        client.close()
        await server.stop()
    }
}
