// grpc-echo-bench: gRPC (grpc-swift 2, HTTP/2 over plaintext TCP) unary echo
// baseline for the Aural RPC benchmark. Same command line and output line as
// Benchmarks/nng-raw, so the two can be read side by side.
//
//   grpc-echo-bench server --port P
//   grpc-echo-bench client --port P --inflight N --size BYTES --duration SECONDS
//                          [--warmup SECONDS]

import ArgumentParser
import Foundation

@main
struct GRPCEchoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpc-echo-bench",
        abstract: "gRPC unary echo baseline for the Aural RPC benchmark.",
        subcommands: [ServerCommand.self, ClientCommand.self]
    )
}

/// Writes straight to fd 1, bypassing stdio buffering, so a parent process
/// reading a pipe sees the line at once.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
