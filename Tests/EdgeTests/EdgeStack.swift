import AsyncHTTPClient
import AuralAudio
import AuralStore
import AuralTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Every suite that starts a stack of processes runs inside this one, one
/// test at a time: a dozen stacks at once on a 2-core machine starve each
/// other until leases expire and timings lose their meaning.
@Suite(.serialized) struct EdgeProcessTests {}

/// The real processes behind the public API: SessionService (SQLite), a
/// separation worker and the Edge on a free port, in one temporary data
/// directory, driven over HTTP.
final class EdgeStack: @unchecked Sendable {
    let dataDirectory: String
    let environment: [String: String]
    let baseURL: String
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    private var processes: [ServiceProcess] = []

    private init(data: String, environment: [String: String], baseURL: String) {
        dataDirectory = data
        self.environment = environment
        self.baseURL = baseURL
    }

    /// `edgeEnvironment` adds Edge settings (API keys, limits); `worker: false` leaves jobs queued.
    static func with(edgeEnvironment: [String: String] = [:], worker: Bool = true, _ body: (EdgeStack) async throws -> Void) async throws {
        let data = try temporaryDirectory("edge")
        let tag = UUID().uuidString.prefix(8)
        let port = try freePort()
        var environment = [
            "AURAL_DATA_DIR": data,
            "AURAL_DATABASE_URL": "sqlite://\(data)/aural.db",
            "AURAL_SESSION_RPC": "ipc:///tmp/aural-e-\(tag)-session",
            "AURAL_WORK_RPC": "ipc:///tmp/aural-e-\(tag)-work",
            "AURAL_EVENTS_IN": "ipc:///tmp/aural-e-\(tag)-events-in",
            "AURAL_EVENTS_OUT": "ipc:///tmp/aural-e-\(tag)-events-out",
            "AURAL_SEPARATION_RPC": "ipc:///tmp/aural-e-\(tag)-separation",
            "AURAL_TRANSCRIPTION_RPC": "ipc:///tmp/aural-e-\(tag)-transcription",
            "AURAL_CHORDS_RPC": "ipc:///tmp/aural-e-\(tag)-chords",
            "AURAL_EMBEDDING_RPC": "ipc:///tmp/aural-e-\(tag)-embedding",
            "AURAL_LOG_LEVEL": "error",
            "AURAL_HTTP_PORT": String(port),
            "AURAL_HTTP_HOST": "127.0.0.1",
            "AURAL_MIN_FREE_DISK_MB": "1",
        ]
        let stack = EdgeStack(data: data, environment: environment, baseURL: "http://127.0.0.1:\(port)")
        defer { stack.stop() }
        environment.merge(edgeEnvironment) { $1 }
        try await stack.run { [environment] stack in
            stack.processes.append(try await ServiceProcess.start("SessionService", arguments: [], healthURL: stack.environment["AURAL_SESSION_RPC"]!,
                                                                  environment: stack.environment))
            if worker { try stack.startWorkers() }
            stack.processes.append(try ServiceProcess.launch("Edge", arguments: [], environment: environment))
            try await stack.waitUntilReady()
            try await body(stack)
        }
    }

    /// A client of a stack started some other way (another network namespace).
    static func using(baseURL: String, dataDirectory: String, _ body: (EdgeStack) async throws -> Void) async throws {
        let stack = EdgeStack(data: dataDirectory, environment: [:], baseURL: baseURL)
        try await stack.run { stack in
            try await stack.waitUntilReady(timeout: .seconds(30))
            try await body(stack)
        }
    }

    /// A worker of each stage of the default pipeline.
    func startWorkers() throws {
        processes.append(try ServiceProcess.launch("SeparationService", arguments: ["--concurrency", "1"], environment: environment))
        processes.append(try ServiceProcess.launch("TranscriptionService", arguments: ["--concurrency", "1"], environment: environment))
        processes.append(try ServiceProcess.launch("ChordService", arguments: ["--concurrency", "1"], environment: environment))
    }

    /// EmbeddingService with the installed model (see `TestModel`).
    func startEmbeddingService() async throws {
        processes.append(try await ServiceProcess.start("EmbeddingService", arguments: [], healthURL: environment["AURAL_EMBEDDING_RPC"]!,
                                                        environment: environment.merging(TestModel.environment) { $1 }))
    }

    /// The whole stack as `make run` starts it: `aural up` in a temporary data
    /// directory on a free port. `processes[0]` is the supervisor.
    static func withAuralUp(environment extra: [String: String] = [:], arguments: [String] = [],
                            _ body: (EdgeStack) async throws -> Void) async throws {
        let data = try temporaryDirectory("up")
        let port = try freePort()
        var environment = ["AURAL_LOG_LEVEL": "error", "AURAL_MIN_FREE_DISK_MB": "1"]
        environment.merge(extra) { $1 }
        let stack = EdgeStack(data: data, environment: environment, baseURL: "http://127.0.0.1:\(port)")
        defer { stack.stop() }
        try await stack.run { stack in
            stack.processes.append(try ServiceProcess.launch("aural", arguments: ["up", "--data-dir", data, "--port", String(port)] + arguments,
                                                             environment: environment))
            try await stack.waitUntilReady()
            try await body(stack)
        }
    }

    /// The pid of the supervisor's child running `executable`.
    func childPID(_ executable: String) throws -> Int32? {
        let parent = try #require(processes.first).process.processIdentifier
        return Self.childPIDs(of: parent).first { pid in
            // /proc's comm holds the first 15 bytes of the name.
            let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) ?? ""
            return !name.isEmpty && executable.hasPrefix(name)
        }
    }

    /// Attempts of every task, read from the stack's SQLite database.
    func taskAttempts() async throws -> [Int] {
        let database = try await Database.open(url: "sqlite://\(dataDirectory)/aural.db", poolSize: 1)
        return try await database.read { connection in
            let rows = try connection.query("SELECT attempts FROM tasks")
            return try rows.map { row in Int(try row.int("attempts")) }
        }
    }

    func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = try? await get("/health/ready"), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EdgeDidNotStart(baseURL: baseURL)
    }

    /// SIGTERM first, so `aural up` stops its children; SIGKILL what is left.
    /// Runs a test body and always shuts the HTTP client down: AsyncHTTPClient
    /// traps when a client is released unshut, which would kill the test
    /// process and orphan the stack's processes.
    private func run(_ body: (EdgeStack) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
    }

    func stop() {
        for process in processes where process.process.isRunning { process.process.terminate() }
        let deadline = Date().addingTimeInterval(20)
        while processes.contains(where: \.process.isRunning), Date() < deadline { usleep(50_000) }
        for process in processes where process.process.isRunning {
            // `aural up` did not stop in time: its children must not outlive it.
            let children = Self.childPIDs(of: process.process.processIdentifier)
            kill(process.process.processIdentifier, SIGKILL)
            for child in children { kill(child, SIGKILL) }
        }
    }

    private static func childPIDs(of parent: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
        }
    }

    // MARK: - HTTP

    struct Reply {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: Data

        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }

        /// The `error.code` of an error body.
        func errorCode() throws -> String? {
            (try json()["error"] as? [String: Any])?["code"] as? String
        }

        /// An error reply: its status, its code, and the request id both in the body and the header.
        func expectError(_ status: HTTPResponseStatus, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(self.status == status, "\(String(decoding: body, as: UTF8.self))", sourceLocation: sourceLocation)
            #expect(try errorCode() == code, sourceLocation: sourceLocation)
            let requestID = (try json()["error"] as? [String: Any])?["request_id"] as? String
            #expect(requestID != nil && requestID == headers.first(name: "X-Request-ID"), sourceLocation: sourceLocation)
        }
    }

    func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], body: HTTPClientRequest.Body? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers = headers
        if let body { request.body = body }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: response.status, headers: response.headers, body: Data(buffer: bytes))
    }

    func get(_ path: String, headers: HTTPHeaders = [:]) async throws -> Reply { try await send(.GET, path, headers: headers) }

    func uploadMultipart(_ file: Data, filename: String, headers: HTTPHeaders = [:]) async throws -> Reply {
        try await upload(file, filename: filename, to: "/api/v1/transcribe", fields: ["note": "ignored field"], headers: headers)
    }

    /// A multipart upload: `fields` first, then the `file` part.
    func upload(_ file: Data, filename: String, to path: String, fields: [String: String] = [:], headers: HTTPHeaders = [:]) async throws -> Reply {
        let boundary = "aural-test-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += file
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        var headers = headers
        headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        return try await send(.POST, path, headers: headers, body: .bytes(ByteBuffer(data: body)))
    }

    func uploadRaw(_ file: Data, filename: String, contentType: String = "audio/wav") async throws -> Reply {
        try await send(.POST, "/api/v1/transcribe", headers: ["Content-Type": contentType, "X-Filename": filename],
                       body: .bytes(ByteBuffer(data: file)))
    }

    /// Polls the status endpoint until the job leaves queued/processing.
    func waitUntilFinished(_ id: String, timeout: Duration = .seconds(90)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let status = try await get("/api/v1/jobs/\(id)").json()
            if let state = status["status"] as? String, !["queued", "processing"].contains(state) { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(id) did not finish")
        throw CancellationError()
    }

    /// Files left in blob storage under `prefix` (e.g. `uploads`, `jobs/ID`).
    func storedFiles(under prefix: String) -> [String] {
        let root = dataDirectory + "/blobs/" + prefix
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { !$0.hasSuffix("/") && !isDirectory(root + "/" + $0) }
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { throw POSIXError(.EADDRINUSE) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Short generated audio for uploads.
enum TestAudio {
    /// A stereo tone with a little noise, as WAV bytes.
    static func wav(seconds: Double = 2) throws -> Data {
        let rate = 22050, frames = Int(seconds * Double(rate))
        var buffer = AudioBuffer(sampleRate: rate, channelCount: 2, frames: frames)
        var seed: UInt32 = 7
        for frame in 0..<frames {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Float(seed >> 8) / Float(1 << 24) - 0.5
            let tone = 0.3 * sin(2 * Float.pi * 220 * Float(frame) / Float(rate))
            buffer.channels[0][frame] = tone + 0.05 * noise
            buffer.channels[1][frame] = tone - 0.05 * noise
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AudioFile.write(buffer, to: path, format: .wav(.pcm16))
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}

struct EdgeDidNotStart: Error, CustomStringConvertible {
    let baseURL: String
    var description: String { "the Edge did not become ready at \(baseURL)" }
}

extension TestAudio {
    /// A short song with a known melody: one harmonic "voice" note per
    /// second in the centre (MIDI `melody`), over a sustained C major chord
    /// panned left. Returns the WAV bytes and the note at each second.
    static func song(melody: [Int] = [60, 62, 64, 65, 67, 69], rate: Int = 22050) throws -> (wav: Data, melody: [Int]) {
        let frames = melody.count * rate
        var buffer = AudioBuffer(sampleRate: rate, channelCount: 2, frames: frames)
        func hz(_ midi: Double) -> Double { 440 * pow(2, (midi - 69) / 12) }
        var phase = 0.0
        for frame in 0..<frames {
            let t = Double(frame) / Double(rate)
            let note = melody[frame / rate]
            phase += 2 * .pi * hz(Double(note)) / Double(rate)
            let withinNote = t - Double(frame / rate)
            let envelope = min(1, withinNote / 0.02) * min(1, (1 - withinNote) / 0.05)
            var voice = 0.0
            for harmonic in 1...6 { voice += sin(Double(harmonic) * phase) / Double(harmonic * harmonic) }
            // C major in close position over a C bass, each tone with two overtones.
            var pad = 0.0
            for note in [36.0, 48, 52, 55, 60] {
                for overtone in 1...3 {
                    let frequency: Double = hz(note) * Double(overtone)
                    pad += sin(2 * .pi * frequency * t) / Double(overtone * 5)
                }
            }
            // Panned left, in phase (a downmix keeps it, as in real recordings).
            buffer.channels[0][frame] = Float(0.25 * envelope * voice + 0.35 * pad)
            buffer.channels[1][frame] = Float(0.25 * envelope * voice + 0.05 * pad)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("song-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AudioFile.write(buffer, to: path, format: .wav(.pcm16))
        return (try Data(contentsOf: URL(fileURLWithPath: path)), melody)
    }
}
