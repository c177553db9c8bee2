import AuralAudio
import AuralRPC
import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// Against the real SeparationService executable.
@Suite("SeparationService process")
struct SeparationServiceTests {
    func startService() async throws -> (ServiceProcess, RPCClient, data: String) {
        let data = try temporaryDirectory("separation-service")
        let url = TestAddress.ipc()
        let service = try await ServiceProcess.start(
            "SeparationService", arguments: ["--listen", url, "--data-dir", data, "--log-level", "error", "--no-worker"], healthURL: url)
        return (service, try RPCClient(dialing: url, logger: testLogger), data)
    }

    func wavBytes(_ buffer: AudioBuffer) throws -> Data {
        let path = try temporaryDirectory("wav") + "/mix.wav"
        try AudioFile.write(buffer, to: path, format: .wav(.pcm16))
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func inlineAudioInInlineStemsOut() async throws {
        let (service, client, _) = try await startService()
        defer { client.close() }
        let (mix, _) = SyntheticSong.make(seconds: 3)
        var request = Aural_V1_SeparateRequest()
        request.audio.inlineData = try wavBytes(mix)
        request.audio.filename = "mix.wav"
        request.formats = [.flac]
        let response = try await client.call(SeparationMethods.separate, request, timeout: .seconds(60))

        #expect(response.audio.sampleRate == 22050 && response.audio.channels == 2 && response.audio.format == "wav")
        #expect(Set(response.stems.map(\.name)) == [.stemVocals, .stemDrums, .stemBass, .stemOther, .stemInstrumental])
        var decoded: [Aural_V1_StemName: AudioBuffer] = [:]
        for stem in response.stems {
            #expect(stem.format == .flac)
            let path = try temporaryDirectory("stem") + "/stem.flac"
            try stem.inlineData.write(to: URL(fileURLWithPath: path))
            decoded[stem.name] = try AudioFile.read(path)
        }
        // The four additive stems rebuild the (16-bit) mix.
        let original = try AudioFile.read(try temporaryDirectory("mix") + "/m.wav", writing: mix)
        for c in 0..<2 {
            var worst: Float = 0
            for i in 0..<original.frameCount {
                let sum = [Aural_V1_StemName.stemVocals, .stemDrums, .stemBass, .stemOther].reduce(Float(0)) { $0 + decoded[$1]!.channels[c][i] }
                worst = max(worst, abs(sum - original.channels[c][i]))
            }
            #expect(worst < 1e-3)
        }
        await service.kill()
    }

    @Test func blobInBlobsOutAndBadInputs() async throws {
        let (service, client, data) = try await startService()
        defer { client.close() }
        let (mix, _) = SyntheticSong.make(seconds: 2)
        let inputKey = "jobs/test/input/mix.wav"
        try FileManager.default.createDirectory(atPath: data + "/blobs/jobs/test/input", withIntermediateDirectories: true)
        try wavBytes(mix).write(to: URL(fileURLWithPath: data + "/blobs/" + inputKey))

        var request = Aural_V1_SeparateRequest()
        request.audio.blob.key = inputKey
        request.stems = [.stemVocals, .stemInstrumental]
        request.outputPrefix = "jobs/test/stems"
        let response = try await client.call(SeparationMethods.separate, request, timeout: .seconds(60))
        #expect(response.stems.count == 4)  // two stems, FLAC and MP3 each
        for stem in response.stems {
            #expect(stem.blob.key.hasPrefix("jobs/test/stems/"))
            let info = try AudioFile.probe(data + "/blobs/" + stem.blob.key)
            #expect(abs(info.duration - 2) < 0.1)
            #expect(stem.blob.size > 0)
        }

        var text = Aural_V1_SeparateRequest()
        text.audio.inlineData = Data("certainly not audio".utf8)
        let notAudio = await #expect(throws: RPCError.self) {
            try await client.call(SeparationMethods.separate, text, timeout: .seconds(10))
        }
        #expect(notAudio?.code == .invalidArgument)
        #expect(notAudio?.message.contains("not decodable audio") == true)

        var missing = Aural_V1_SeparateRequest()
        missing.audio.blob.key = "jobs/nope/input.wav"
        #expect(try await codeOf(client, missing) == .notFound)
        var escaping = Aural_V1_SeparateRequest()
        escaping.audio.blob.key = "../../etc/passwd"
        #expect(try await codeOf(client, escaping) == .invalidArgument)
        await service.kill()
    }

    func codeOf(_ client: RPCClient, _ request: Aural_V1_SeparateRequest) async throws -> RPCStatusCode? {
        do {
            _ = try await client.call(SeparationMethods.separate, request, timeout: .seconds(10))
            return .ok
        } catch {
            return error.code
        }
    }
}

extension AudioFile {
    /// Writes `buffer` as 16-bit WAV at `path` and reads it back (the
    /// quantised version a service receives).
    static func read(_ path: String, writing buffer: AudioBuffer) throws -> AudioBuffer {
        try write(buffer, to: path, format: .wav(.pcm16))
        return try read(path)
    }
}
