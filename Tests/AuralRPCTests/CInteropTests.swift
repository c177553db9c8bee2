import AuralRPC
import AuralTestSupport
import Foundation
import Testing

/// A C program (protobuf-c + libnng, generated from the same protos) calls a
/// running Swift service. `make test` builds it first (`make -C clients/c`).
@Suite("C interop")
struct CInteropTests {
    static let client = repositoryRoot.appendingPathComponent("clients/c/build/aural-c-client").path

    func runClient(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runOnOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.client)
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
        }
    }

    @Test func cClientCallsARunningSwiftServiceOverIPC() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.client), "run `make -C clients/c` first")
        let url = TestAddress.ipc()
        let fixture = try await FixtureProcess.start(url: url)

        let echo = try await runClient([url, "echo", "grüße from C"])
        #expect(echo.status == 0)
        #expect(echo.stdout == "grüße from C\n")

        let health = try await runClient([url, "health"])
        #expect(health.status == 0)
        #expect(health.stdout.hasPrefix("service=rpc-fixture status=SERVING"))

        // A missed deadline is reported, by the server (DEADLINE_EXCEEDED, exit 3)
        // or by the C client's own timer (exit 2), whichever fires first.
        let late = try await runClient([url, "echo", "x", "--timeout-ms", "200", "--delay-ms", "2000"])
        #expect(late.status == 3 || late.status == 2)
        #expect(late.stderr.contains("DEADLINE_EXCEEDED") || late.stderr.contains("Timed out"), "stderr: \(late.stderr)")
        await fixture.kill()
    }
}
