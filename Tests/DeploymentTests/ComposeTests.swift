import AuralTestSupport
import Foundation
import Testing

/// compose/ describes a deployment that docker-compose accepts, and
/// documents every setting the code reads.
@Suite struct ComposeTests {
    static let compose = repositoryRoot.appendingPathComponent("compose").path

    @Test func composeFileIsValid() throws {
        guard let dockerCompose = Self.which("docker-compose") else {
            // scripts/bootstrap installs it; CI must not skip silently.
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "docker-compose is not installed")
            return
        }
        // env_file needs compose/.env: validate a copy with the example as .env.
        let copy = try temporaryDirectory("compose")
        try FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: Self.compose, toPath: copy)
        try FileManager.default.copyItem(atPath: copy + "/.env.example", toPath: copy + "/.env")
        let (status, output) = try Self.run(dockerCompose, ["-f", copy + "/docker-compose.yml", "config"])
        #expect(status == 0, "\(output)")
        for service in ["postgres:", "session:", "edge:", "separation:", "transcription:", "chords:"] {
            #expect(output.contains("  \(service)"), "service \(service) missing")
        }
        #expect(output.contains("replicas: 2"), "separation is scaled with deploy.replicas")
        #expect(output.contains("tcp://session:7001"))
    }

    @Test func everySettingTheCodeReadsIsDocumented() throws {
        let documented = try String(contentsOfFile: Self.compose + "/.env.example", encoding: .utf8)
        var read = Set<String>()
        let sources = repositoryRoot.appendingPathComponent("Sources").path
        for case let file as String in FileManager.default.enumerator(atPath: sources)! where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            let pattern = try Regex(#"AURAL_[A-Z0-9_]*[A-Z0-9]"#)
            for match in text.matches(of: pattern) { read.insert(String(text[match.range])) }
        }
        #expect(read.count > 20)
        let missing = read.filter { !documented.contains($0 + "=") }.sorted()
        #expect(missing.isEmpty, "read by the code but not in compose/.env.example: \(missing)")
    }

    private static func which(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
