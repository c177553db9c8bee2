import ArgumentParser
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve bench.Echo/Echo on 127.0.0.1 until SIGINT or SIGTERM."
    )

    @Option(help: "TCP port to listen on (127.0.0.1 only).")
    var port: Int

    func run() async throws {
        let server = GRPCServer(
            transport: HTTP2ServerTransport.Posix(
                address: .ipv4(host: "127.0.0.1", port: port),
                transportSecurity: .plaintext
            ),
            services: [EchoService()]
        )

        // Turn SIGINT/SIGTERM into a graceful shutdown, after which serve()
        // returns. The default action is ignored so the dispatch source sees it.
        let signalSources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { server.beginGracefulShutdown() }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            // Resolves once the listening socket is bound.
            _ = try await server.transport.listeningAddress
            writeLine("ready")
        }
    }
}
