import AuralAudio
import AuralChords
import AuralRPC
import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// Four bars at 120 BPM of I IV V I in C major, with a click on every beat;
/// harmonic tones with the root in the bass. Stereo WAV bytes.
func cadenceSong() throws -> Data {
    let rate = 22_050, seconds = 8.0
    var samples = [Float](repeating: 0, count: Int(seconds * Double(rate)))
    func add(_ midi: Int, from start: Double, to end: Double, amplitude: Double) {
        let f0 = 440 * pow(2, Double(midi - 69) / 12)
        for i in Int(start * Double(rate))..<Int(end * Double(rate)) {
            let t = Double(i) / Double(rate) - start
            let tone = (1...5).reduce(0.0) { $0 + pow(0.5, Double($1 - 1)) * sin(2 * .pi * f0 * Double($1) * t) }
            samples[i] += Float(amplitude * min(1, t / 0.01) * min(1, (end - start - t) / 0.02) * tone)
        }
    }
    for (start, notes) in [(0.0, [36, 60, 64, 67]), (2.0, [41, 60, 65, 69]), (4.0, [43, 59, 62, 67]), (6.0, [36, 60, 64, 67])] {
        for (index, note) in notes.enumerated() { add(note, from: start, to: start + 2, amplitude: index == 0 ? 0.12 : 0.08) }
    }
    for beat in stride(from: 0.0, to: seconds, by: 0.5) {
        for i in 0..<Int(0.02 * Double(rate)) {
            samples[Int(beat * Double(rate)) + i] += Float(0.4 * exp(-Double(i) / 60) * (i % 2 == 0 ? 1 : -1))
        }
    }
    let path = try temporaryDirectory("chords-song") + "/song.wav"
    try AudioFile.write(AudioBuffer(sampleRate: rate, channels: [samples, samples]), to: path, format: .wav(.pcm16))
    return try Data(contentsOf: URL(fileURLWithPath: path))
}

/// Against the real ChordService executable, direct calls only.
@Suite("ChordService process")
struct ChordServiceTests {
    func startService() async throws -> (ServiceProcess, RPCClient, data: String) {
        let data = try temporaryDirectory("chord-service")
        let url = TestAddress.ipc()
        let service = try await ServiceProcess.start(
            "ChordService", arguments: ["--listen", url, "--data-dir", data, "--log-level", "error", "--no-worker"], healthURL: url)
        return (service, try RPCClient(dialing: url, logger: testLogger), data)
    }

    @Test func inlineAudioGivesChordsBeatsTempoAndKey() async throws {
        let (service, client, _) = try await startService()
        defer { client.close() }
        var request = Aural_V1_AnalyzeChordsRequest()
        request.audio.inlineData = try cadenceSong()
        request.audio.filename = "song.wav"
        let response = try await client.call(ChordMethods.analyze, request, timeout: .seconds(60))

        #expect(response.audio.sampleRate == 22050 && response.audio.channels == 2 && abs(response.audio.durationSeconds - 8) < 0.01)
        #expect(abs(response.tempoBpm - 120) < 2.4, "tempo \(response.tempoBpm)")
        #expect(response.beats.count >= 14 && response.beats.count <= 17)
        #expect(response.key == "C:maj", "key \(response.key)")
        let labels = response.chords.filter { $0.end - $0.start > 1 }.map(\.label)
        #expect(labels == ["C:maj", "F:maj", "G:maj", "C:maj"], "\(response.chords)")
        #expect(zip(response.chords, response.chords.dropFirst()).allSatisfy { $0.end == $1.start })
        #expect(!response.hasChordsJson)
        await service.kill()
    }

    @Test func blobInJSONOutAndBadInputs() async throws {
        let (service, client, data) = try await startService()
        defer { client.close() }
        let inputKey = "jobs/test/input/song.wav"
        try FileManager.default.createDirectory(atPath: data + "/blobs/jobs/test/input", withIntermediateDirectories: true)
        try cadenceSong().write(to: URL(fileURLWithPath: data + "/blobs/" + inputKey))

        var request = Aural_V1_AnalyzeChordsRequest()
        request.audio.blob.key = inputKey
        request.outputKey = "jobs/test/chords.json"
        let response = try await client.call(ChordMethods.analyze, request, timeout: .seconds(60))
        #expect(response.chordsJson.key == "jobs/test/chords.json" && response.chordsJson.contentType == "application/json")
        let json = try Data(contentsOf: URL(fileURLWithPath: data + "/blobs/jobs/test/chords.json"))
        #expect(UInt64(json.count) == response.chordsJson.size)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["schema"] as? String == "aural.chords/1" && object["key"] as? String == response.key)
        #expect((object["chords"] as? [[String: Any]])?.count == response.chords.count)

        var text = Aural_V1_AnalyzeChordsRequest()
        text.audio.inlineData = Data("certainly not audio".utf8)
        let notAudio = await #expect(throws: RPCError.self) {
            try await client.call(ChordMethods.analyze, text, timeout: .seconds(10))
        }
        #expect(notAudio?.code == .invalidArgument && notAudio?.message.contains("not decodable audio") == true)
        var missing = Aural_V1_AnalyzeChordsRequest()
        missing.audio.blob.key = "jobs/nope/input.wav"
        let notFound = await #expect(throws: RPCError.self) {
            try await client.call(ChordMethods.analyze, missing, timeout: .seconds(10))
        }
        #expect(notFound?.code == .notFound)
        var escaping = request
        escaping.outputKey = "../../outside.json"
        let invalid = await #expect(throws: RPCError.self) {
            try await client.call(ChordMethods.analyze, escaping, timeout: .seconds(30))
        }
        #expect(invalid?.code == .invalidArgument)
        await service.kill()
    }
}

/// A job through a real SessionService (default pipeline `chords`) and a
/// real ChordService worker, on SQLite and on PostgreSQL.
@Suite("Chords pipeline")
struct ChordPipelineTests {
    @Test(arguments: TestDatabaseKind.allCases)
    func chordsJobProducesChordsJSON(kind: TestDatabaseKind) async throws {
        guard let databaseURL = try await TestDatabases.url(kind) else { return }
        let data = try temporaryDirectory("chords-pipeline")
        let tag = UUID().uuidString.prefix(8)
        let environment = [
            "AURAL_DATA_DIR": data,
            "AURAL_DATABASE_URL": databaseURL,
            "AURAL_SESSION_RPC": "ipc:///tmp/aural-t-\(tag)-session",
            "AURAL_WORK_RPC": "ipc:///tmp/aural-t-\(tag)-work",
            "AURAL_EVENTS_IN": "ipc:///tmp/aural-t-\(tag)-events-in",
            "AURAL_EVENTS_OUT": "ipc:///tmp/aural-t-\(tag)-events-out",
            "AURAL_CHORDS_RPC": "ipc:///tmp/aural-t-\(tag)-chords",
            "AURAL_PIPELINE": "chords",
            "AURAL_LOG_LEVEL": "error",
        ]
        let session = try await ServiceProcess.start("SessionService", arguments: [], healthURL: environment["AURAL_SESSION_RPC"]!,
                                                     environment: environment)
        let worker = try await ServiceProcess.start("ChordService", arguments: ["--concurrency", "1"],
                                                    healthURL: environment["AURAL_CHORDS_RPC"]!, environment: environment)
        let client = try RPCClient(dialing: environment["AURAL_SESSION_RPC"]!, logger: testLogger)
        defer { client.close() }

        let upload = "uploads/\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: data + "/blobs/uploads", withIntermediateDirectories: true)
        try cadenceSong().write(to: URL(fileURLWithPath: data + "/blobs/" + upload))
        var create = Aural_V1_CreateJobRequest()
        create.input.key = upload
        create.input.contentType = "audio/wav"
        create.inputFilename = "song.wav"   // no stages: the default pipeline decides
        let created = try await client.call(SessionMethods.createJob, create)

        var get = Aural_V1_GetJobRequest()
        get.jobID = created.jobID
        var job = created
        let deadline = ContinuousClock.now + .seconds(60)
        while job.status != .completed && job.status != .failed && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            job = try await client.call(SessionMethods.getJob, get, timeout: .seconds(2))
        }
        #expect(job.status == .completed, "job: \(job)")
        #expect(job.metadata["key"] == "C:maj" && job.metadata["num_chords"] == "4", "metadata \(job.metadata)")
        #expect(abs((Double(job.metadata["tempo_bpm"] ?? "") ?? 0) - 120) < 2.4)
        let key = "jobs/\(job.jobID)/chords.json"
        #expect(job.artifacts.map(\.key) == [key])
        let json = try Data(contentsOf: URL(fileURLWithPath: data + "/blobs/" + key))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["schema"] as? String == "aural.chords/1" && (object["beats"] as? [Double])?.isEmpty == false)

        // A corrupt upload fails its job at once: another attempt would fail the same way.
        let corrupt = "uploads/\(UUID().uuidString.lowercased())"
        try Data("RIFF but plain text".utf8).write(to: URL(fileURLWithPath: data + "/blobs/" + corrupt))
        create.input.key = corrupt
        get.jobID = try await client.call(SessionMethods.createJob, create).jobID
        job = try await client.call(SessionMethods.getJob, get, timeout: .seconds(2))
        let failDeadline = ContinuousClock.now + .seconds(30)
        while job.status != .failed && job.status != .completed && ContinuousClock.now < failDeadline {
            try await Task.sleep(for: .milliseconds(100))
            job = try await client.call(SessionMethods.getJob, get, timeout: .seconds(2))
        }
        #expect(job.status == .failed && job.errorMessage.contains("chords failed after 1 attempt"), "job: \(job)")
        #expect(job.errorMessage.contains("not decodable audio"), "\(job.errorMessage)")
        await worker.kill()
        await session.kill()
    }
}
