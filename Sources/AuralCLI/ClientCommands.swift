import ArgumentParser
import AuralRPC
import Foundation
import Logging
import ServiceLifecycle

struct ServerOptions: ParsableArguments {
    @Option(help: "Edge URL (env AURAL_SERVER; default http://localhost:8080).")
    var server: String?

    @Option(help: "API key (env AURAL_API_KEY).")
    var apiKey: String?

    func client() -> EdgeClient {
        let environment = ProcessInfo.processInfo.environment
        return EdgeClient(baseURL: server ?? environment["AURAL_SERVER"] ?? "http://localhost:8080",
                          apiKey: apiKey ?? environment["AURAL_API_KEY"])
    }
}

extension AuralCommand {
    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a file, follow its progress, and download the stems, frames.json and chords.json.",
            discussion: "Without --server, a private stack is started for the run (in a temporary data directory) and stopped after.")

        @Argument(help: "An audio file (wav, flac, ogg, opus, mp3; m4a with ffmpeg).") var file: String
        @Option(help: "Where the results go (default: ./NAME-aural).") var out: String?
        @Option(help: "Edge URL of a running stack (env AURAL_SERVER).") var server: String?
        @Option(help: "API key (env AURAL_API_KEY).") var apiKey: String?

        func run() async throws {
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no such file: \(file)") }
            let output = out ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension + "-aural"
            let environment = ProcessInfo.processInfo.environment
            if let url = server ?? environment["AURAL_SERVER"] {
                let client = EdgeClient(baseURL: url, apiKey: apiKey ?? environment["AURAL_API_KEY"])
                do { try await analyze(with: client, into: output) } catch {
                    await client.shutdown()
                    throw error
                }
                await client.shutdown()
                return
            }
            try await withPrivateStack { client in try await analyze(with: client, into: output) }
        }

        private func analyze(with client: EdgeClient, into output: String) async throws {
            let job = try await client.upload(file)
            let id = try string(job["job_id"])
            print("aural: uploaded \((file as NSString).lastPathComponent) as job \(id)")
            let bar = ProgressBar()
            var final = "unknown"
            try await client.events(id) { name, data in
                switch name {
                case "progress": bar.show(percent: data["progress"] as? Double ?? 0, stage: data["stage"] as? String ?? "")
                case "stage": bar.show(percent: bar.percent, stage: data["stage"] as? String ?? "")
                case "completed", "failed", "cancelled":
                    final = name
                    if name == "completed" { bar.show(percent: 100, stage: "done") }
                    bar.finish()
                    if let message = data["error_message"] as? String { print("aural: \(message)") }
                default: break
                }
            }
            if final == "unknown" { final = (try await client.json("/api/v1/jobs/\(id)"))["status"] as? String ?? "unknown" }
            guard final == "completed" else { throw EdgeClient.Failure(description: "job \(id) \(final)") }

            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let results = try await client.json("/api/v1/jobs/\(id)/results")["results"] as? [String: Any] ?? [:]
            let stems = (results["stems"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
            for (name, url) in stems { try await client.download(url, to: "\(output)/\(name).mp3") }
            var notes: Int?
            if let frames = results["processed_frames"] as? String {
                try await client.download(frames, to: output + "/frames.json")
                let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/frames.json"))) as? [String: Any]
                notes = (document?["notes"] as? [Any])?.count
            }
            if let chords = results["chords"] as? String { try await client.download(chords, to: output + "/chords.json") }

            let metadata = results["metadata"] as? [String: Any] ?? [:]
            func show(_ label: String, _ value: Any?) {
                guard let value, !(value is NSNull) else { return }
                print("  \(label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(value)")
            }
            print("aural: job \(id) completed; results in \(output)/")
            show("duration", (metadata["duration"] as? Double).map { String(format: "%.1f s", $0) })
            show("key", metadata["key"])
            show("tempo", (metadata["tempo_bpm"] as? Double).map { String(format: "%.1f BPM", $0) })
            show("chords", metadata["num_chords"])
            show("notes", notes)
            show("stems", stems.map(\.key).joined(separator: ", "))
        }

        /// `aural up` in a temporary data directory on a free port, for one run.
        private func withPrivateStack(_ body: (EdgeClient) async throws -> Void) async throws {
            AuralLogging.bootstrap(level: .warning)
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("aural-analyze-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: data) }
            var plan = StackPlan(binDirectory: StackPlan.ownDirectory, dataDirectory: data, port: try freePort(), databaseURL: nil,
                                 replicas: [:])
            plan.environment["AURAL_LOG_LEVEL"] = "warning"
            let supervisor = Supervisor(children: try plan.children(), logger: Logger(label: "aural"))
            let client = EdgeClient(baseURL: "http://127.0.0.1:\(plan.port)", apiKey: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let stack = ServiceGroup(services: [supervisor], logger: Logger(label: "aural"))
                group.addTask { try await stack.run() }
                let deadline = ContinuousClock.now + .seconds(60)
                while (try? await client.json("/health/ready"))?["status"] as? String != "ready" {
                    guard ContinuousClock.now < deadline else { throw EdgeClient.Failure(description: "the local stack did not start") }
                    try await Task.sleep(for: .milliseconds(200))
                }
                // The client's idle keep-alive connections would hold the Edge's graceful stop open.
                do { try await body(client) } catch {
                    await client.shutdown()
                    await stack.triggerGracefulShutdown()
                    throw error
                }
                await client.shutdown()
                await stack.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Health of the stack and its jobs by status.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let client = server.client()
            defer { Task { await client.shutdown() } }
            let ready = try await client.json("/health/ready")
            print("stack: \(ready["status"] as? String ?? "?") at \(client.baseURL)")
            for (name, check) in (ready["checks"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
                print("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(check["ok"] as? Bool == true ? "ok  " : "FAIL") \(check["detail"] as? String ?? "")")
            }
            if let free = ready["free_disk_bytes"] as? Int { print("  free disk        \(free >> 20) MB") }
            print("jobs (first 100 of each):")
            for status in ["queued", "processing", "completed", "failed", "cancelled"] {
                let page = try await client.json("/api/v1/jobs?status=\(status)&limit=100")
                let count = (page["jobs"] as? [Any])?.count ?? 0
                print("  \(status.padding(toLength: 16, withPad: " ", startingAt: 0)) \(count)\(page["next_cursor"] is String ? "+" : "")")
            }
        }
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var server: ServerOptions
        @Option(help: "Only jobs in this status.") var status: String?
        @Option(help: "How many.") var limit = 20

        func run() async throws {
            let client = server.client()
            defer { Task { await client.shutdown() } }
            let page = try await client.json("/api/v1/jobs?limit=\(limit)" + (status.map { "&status=\($0)" } ?? ""))
            for job in page["jobs"] as? [[String: Any]] ?? [] {
                let id = job["job_id"] as? String ?? "?"
                let state = (job["status"] as? String ?? "?").padding(toLength: 10, withPad: " ", startingAt: 0)
                print("\(id)  \(state) \(String(format: "%3d%%", job["progress"] as? Int ?? 0))  \(job["created_at"] as? String ?? "")  \(job["input_filename"] as? String ?? "")")
            }
        }
    }
}

private func string(_ value: Any?) throws -> String {
    guard let text = value as? String else { throw EdgeClient.Failure(description: "unexpected answer from the server") }
    return text
}

/// A one-line progress bar redrawn in place on a terminal, plain lines otherwise.
final class ProgressBar {
    private(set) var percent: Double = 0
    private var lastLine = ""
    private let interactive = isatty(STDOUT_FILENO) != 0

    func show(percent: Double, stage: String) {
        self.percent = percent
        let filled = Int((percent / 100 * 30).rounded())
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) + "] "
            + String(format: "%3.0f%%", percent) + " " + stage
        guard line != lastLine else { return }
        lastLine = line
        if interactive {
            FileHandle.standardOutput.write(Data(("\r" + line).utf8))
        } else if Int(percent) % 10 == 0 || stage == "done" {
            print(line)
        }
    }

    func finish() {
        if interactive { print("") }
    }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { throw POSIXError(.EADDRINUSE) }
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
