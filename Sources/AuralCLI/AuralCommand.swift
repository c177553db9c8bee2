import ArgumentParser
import AuralRPC
import AuralSession
import AuralStore
import Foundation
import Logging
import ServiceLifecycle

@main
struct AuralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aural",
        abstract: "Run and use the Aural stack.",
        subcommands: [Up.self, Analyze.self, Status.self, Jobs.self, Worker.self, InitStorage.self])
}

struct StackOptions: ParsableArguments {
    @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "HTTP port of the Edge (env AURAL_HTTP_PORT; default 8080).")
    var port: Int?

    @Option(help: "Database URL (env AURAL_DATABASE_URL; default SQLite under the data directory).")
    var databaseURL: String?

    @Option(help: "Separation workers.") var separation = 1
    @Option(help: "Transcription workers.") var transcription = 1
    @Option(help: "Chord workers.") var chords = 1

    func plan(environment: AuralEnvironment = .init()) throws -> StackPlan {
        StackPlan(binDirectory: StackPlan.ownDirectory, dataDirectory: dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data",
                  port: try port ?? environment.integer("AURAL_HTTP_PORT") ?? 8080,
                  databaseURL: databaseURL ?? environment["AURAL_DATABASE_URL"],
                  replicas: ["separation": separation, "transcription": transcription, "chords": chords])
    }
}

extension AuralCommand {
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start SessionService, the stage workers and the Edge; Ctrl-C stops them all.")

        @OptionGroup var stack: StackOptions

        func run() async throws {
            AuralLogging.bootstrap(level: .info)
            let logger = Logger(label: "aural")
            let plan = try stack.plan()
            let children = try plan.children()
            let supervisor = Supervisor(children: children, logger: logger)
            let url = "http://localhost:\(plan.port)"
            say("aural: starting \(children.map(\.name).joined(separator: ", ")); data in \(plan.dataDirectory)")
            if let reason = plan.embeddingUnavailableReason { say("aural: embeddings are off (EmbeddingService: \(reason))") }
            say("aural: logs follow, each line prefixed with its process; Ctrl-C stops everything")
            try await ServiceRunner.run([supervisor, ReadinessAnnouncer(url: url)], logger: logger)
        }
    }

    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one stage worker against a (possibly remote) SessionService: AURAL_WORK_RPC, AURAL_EVENTS_IN.")

        @Argument(help: "separation, transcription or chords") var stage: String
        @Argument(parsing: .captureForPassthrough, help: "Options passed to the stage service") var options: [String] = []

        func run() throws {
            guard let executable = StackPlan.stageExecutables.first(where: { $0.0 == stage })?.1 else {
                throw ValidationError("unknown stage \(stage); stages: \(StackPlan.stageExecutables.map(\.0).joined(separator: ", "))")
            }
            let path = StackPlan.ownDirectory + "/" + executable
            guard FileManager.default.isExecutableFile(atPath: path) else { throw ValidationError("\(path) is not built") }
            // Become the worker: signals, exit status and logs are its own.
            let arguments = [path] + options
            var pointers = arguments.map { strdup($0) } + [nil]
            execv(path, &pointers)
            throw ValidationError("could not start \(path): \(String(cString: strerror(errno)))")
        }
    }

    struct InitStorage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the data directory layout and apply the database migrations.")

        @Option(help: "Data directory (env AURAL_DATA_DIR; default ./data).") var dataDir: String?
        @Option(help: "Database URL (env AURAL_DATABASE_URL; default SQLite under the data directory).") var databaseURL: String?

        func run() async throws {
            let environment = AuralEnvironment()
            let data = URL(fileURLWithPath: dataDir ?? environment["AURAL_DATA_DIR"] ?? "./data").standardizedFileURL.path
            for directory in ["blobs", "blobs/uploads", "blobs/jobs", "run"] {
                try FileManager.default.createDirectory(atPath: data + "/" + directory, withIntermediateDirectories: true)
            }
            let url = databaseURL ?? environment["AURAL_DATABASE_URL"] ?? "sqlite://\(data)/aural.db"
            let database = try await Database.open(url: url, poolSize: 1)
            let version = try await database.read { connection in
                try connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").first?.int("version") ?? 0
            }
            print("aural: data directory \(data) ready; database at schema version \(version)")
        }
    }
}

/// Waits for the Edge to answer readiness, then says where it is.
struct ReadinessAnnouncer: Service {
    let url: String

    func run() async throws {
        let client = EdgeClient(baseURL: url, apiKey: nil)
        defer { Task { await client.shutdown() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, !Task.isShuttingDownGracefully {
            if let ready = try? await client.json("/health/ready"), ready["status"] as? String == "ready" {
                say("aural: ready at \(url)/api/v1 (API docs: \(url)/docs)")
                break
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        try? await gracefulShutdown()
    }
}

/// A line on standard output now, not when the buffer fills (children's lines interleave with ours).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
