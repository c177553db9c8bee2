// A real Aural RPC server process for integration tests, the C interop test
// and benchmarks: Health/Check and Health/Echo plus a few methods that fail on
// purpose or count their calls.
import ArgumentParser
import AuralRPC
import AuralWire
import Foundation
import Logging
import Synchronization

enum FixtureMethods {
    /// Throws `FAILED_PRECONDITION` with the request data as message.
    static let fail = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("aural.v1.Fixture/Fail", idempotent: true)
    /// Throws an error that is not an RPCError (becomes INTERNAL).
    static let crash = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("aural.v1.Fixture/Crash", idempotent: true)
    /// Mutating: counts executions, sleeping `delay_ms` first; replies with the count.
    static let increment = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("aural.v1.Fixture/Increment", idempotent: false)
}

struct DeliberateFailure: Error {}

@main
struct RPCFixture: AsyncParsableCommand {
    @Option(help: "Address to listen on (ipc://, tcp://).")
    var listen: String

    @OptionGroup var common: CommonServiceOptions

    func run() async throws {
        let environment = AuralEnvironment()
        AuralLogging.bootstrap(level: try common.logLevel(environment))
        let logger = Logger(label: "rpc-fixture")
        let counter = Atomic<Int>(0)

        var router = RPCRouter()
        router.register(FixtureMethods.fail) { request, _ in
            throw RPCError(.failedPrecondition, String(decoding: request.data, as: UTF8.self))
        }
        router.register(FixtureMethods.crash) { _, _ in throw DeliberateFailure() }
        router.register(FixtureMethods.increment) { request, _ in
            if request.delayMs > 0 { try await Task.sleep(for: .milliseconds(request.delayMs)) }
            let count = counter.add(1, ordering: .relaxed).newValue
            var response = Aural_V1_EchoResponse()
            response.data = Data("\(count)".utf8)
            return response
        }

        let server = try RPCServer(
            configuration: try common.serverConfiguration(serviceName: "rpc-fixture", environment),
            router: router, logger: logger)
        try AuralAddresses.prepare(listen)
        try server.listen(listen)
        // Unbuffered, so a parent process waiting on a pipe sees it at once.
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        try await ServiceRunner.run([server], logger: logger)
    }
}
