import AuralRPC
import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// A real SessionService process on its own data directory, database and
/// ipc addresses, plus the workers a test starts beside it.
final class SessionStack: @unchecked Sendable {
    let dataDirectory: String
    let environment: [String: String]
    private(set) var session: ServiceProcess
    private(set) var client: RPCClient
    private var workers: [ServiceProcess] = []

    /// nil when the database kind is unavailable outside CI (see TestDatabases).
    /// `pipeline` sets SessionService's default stages (AURAL_PIPELINE).
    static func start(_ kind: TestDatabaseKind, leaseSeconds: Double = 2, pipeline: String? = nil) async throws -> SessionStack? {
        guard let databaseURL = try await TestDatabases.url(kind) else { return nil }
        let data = try temporaryDirectory("session")
        let tag = UUID().uuidString.prefix(8)
        var environment = [
            "AURAL_DATA_DIR": data,
            "AURAL_DATABASE_URL": databaseURL,
            "AURAL_SESSION_RPC": "ipc:///tmp/aural-t-\(tag)-session",
            "AURAL_WORK_RPC": "ipc:///tmp/aural-t-\(tag)-work",
            "AURAL_EVENTS_IN": "ipc:///tmp/aural-t-\(tag)-events-in",
            "AURAL_EVENTS_OUT": "ipc:///tmp/aural-t-\(tag)-events-out",
            "AURAL_LEASE_SECONDS": String(leaseSeconds),
            "AURAL_LOG_LEVEL": "error",
        ]
        environment["AURAL_PIPELINE"] = pipeline
        let session = try await startSession(environment)
        return SessionStack(data: data, environment: environment, session: session,
                            client: try RPCClient(dialing: environment["AURAL_SESSION_RPC"]!, logger: testLogger))
    }

    private init(data: String, environment: [String: String], session: ServiceProcess, client: RPCClient) {
        dataDirectory = data
        self.environment = environment
        self.session = session
        self.client = client
    }

    private static func startSession(_ environment: [String: String]) async throws -> ServiceProcess {
        try await ServiceProcess.start("SessionService", arguments: [], healthURL: environment["AURAL_SESSION_RPC"]!, environment: environment)
    }

    /// A new client too: the old REQ socket may stay silent after its
    /// server restarts (the nng 1.5.2 issue StageWorker works around).
    func restartSession() async throws {
        session = try await Self.startSession(environment)
        client.close()
        client = try RPCClient(dialing: environment["AURAL_SESSION_RPC"]!, logger: testLogger)
    }

    /// The fixture worker: the real StageWorker loop around a task of `seconds`.
    @discardableResult
    func startFixtureWorker(stage: String = "chords", seconds: Double, drainSeconds: Double = 30) throws -> ServiceProcess {
        let worker = try ServiceProcess.launch("stage-fixture", arguments: [
            "--data-dir", dataDirectory, "--stage", stage, "--seconds", String(seconds), "--drain-seconds", String(drainSeconds),
        ], environment: environment)
        workers.append(worker)
        return worker
    }

    @discardableResult
    func startSeparationWorker() throws -> ServiceProcess {
        let worker = try ServiceProcess.launch("SeparationService", arguments: [
            "--listen", TestAddress.ipc(), "--concurrency", "1",
        ], environment: environment)
        workers.append(worker)
        return worker
    }

    @discardableResult
    func startTranscriptionWorker() throws -> ServiceProcess {
        let worker = try ServiceProcess.launch("TranscriptionService", arguments: [
            "--listen", TestAddress.ipc(), "--concurrency", "1",
        ], environment: environment)
        workers.append(worker)
        return worker
    }

    /// Puts `bytes` where the Edge would have streamed an upload, and creates the job.
    func createJob(stages: [Aural_V1_Stage], filename: String = "song.wav", bytes: Data = Data("not audio".utf8)) async throws -> Aural_V1_Job {
        let key = "uploads/\(UUID().uuidString.lowercased())"
        let path = dataDirectory + "/blobs/" + key
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: path))
        var request = Aural_V1_CreateJobRequest()
        request.input.key = key
        request.input.contentType = "audio/wav"
        request.inputFilename = filename
        request.stages = stages
        return try await client.call(SessionMethods.createJob, request)
    }

    func job(_ id: String) async throws -> Aural_V1_Job {
        var request = Aural_V1_GetJobRequest()
        request.jobID = id
        return try await client.call(SessionMethods.getJob, request, timeout: .seconds(2))
    }

    /// Polls until `condition` holds (tolerating a restarting SessionService).
    func waitForJob(_ id: String, timeout: Duration = .seconds(60), until condition: (Aural_V1_Job) -> Bool) async throws -> Aural_V1_Job {
        let deadline = ContinuousClock.now + timeout
        var last: String = "nothing"
        while ContinuousClock.now < deadline {
            do {
                let job = try await job(id)
                if condition(job) { return job }
                last = "\(job)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let fresh = try RPCClient(dialing: environment["AURAL_SESSION_RPC"]!, logger: testLogger)
        defer { fresh.close() }
        var request = Aural_V1_GetJobRequest()
        request.jobID = id
        let freshView: String
        do { freshView = "\(try await fresh.call(SessionMethods.getJob, request, timeout: .seconds(2)))" } catch { freshView = "\(error)" }
        Issue.record("job \(id) did not reach the condition; last seen: \(last); a fresh client sees \(freshView)")
        throw CancellationError()
    }

    func blobExists(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/blobs/" + key)
    }

    func stop() async {
        client.close()
        for worker in workers where worker.process.isRunning { await worker.kill() }
        if session.process.isRunning { await session.kill() }
    }
}

extension SessionStack {
    /// Runs `body` against a fresh stack and always stops its processes.
    static func with(_ kind: TestDatabaseKind, leaseSeconds: Double = 2, pipeline: String? = nil,
                     _ body: (SessionStack) async throws -> Void) async throws {
        guard let stack = try await start(kind, leaseSeconds: leaseSeconds, pipeline: pipeline) else { return }
        do {
            try await body(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
