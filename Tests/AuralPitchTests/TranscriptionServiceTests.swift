import AuralAudio
import AuralRPC
import AuralServices
import AuralTestSupport
import AuralWire
import Foundation
import Testing

/// Against the real TranscriptionService executable.
@Suite("TranscriptionService process")
struct TranscriptionServiceTests {
    func startService() async throws -> (ServiceProcess, RPCClient, data: String) {
        let data = try temporaryDirectory("transcription-service")
        let url = TestAddress.ipc()
        let service = try await ServiceProcess.start(
            "TranscriptionService", arguments: ["--listen", url, "--data-dir", data, "--log-level", "error", "--no-worker"], healthURL: url)
        return (service, try RPCClient(dialing: url, logger: testLogger), data)
    }

    func melodyWAV() throws -> Data {
        let path = try temporaryDirectory("wav") + "/melody.wav"
        try AudioFile.write(AudioBuffer(sampleRate: 22050, channels: [KnownMelody.audio(sampleRate: 22050)]), to: path, format: .wav(.pcm16))
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func inlineAudioInFramesAndNotesOut() async throws {
        let (service, client, _) = try await startService()
        defer { client.close() }
        var request = Aural_V1_TranscribeMelodyRequest()
        request.audio.inlineData = try melodyWAV()
        request.audio.filename = "melody.wav"
        let response = try await client.call(TranscriptionMethods.transcribeMelody, request, timeout: .seconds(30))

        #expect(response.audio.sampleRate == 22050 && response.audio.channels == 1 && response.audio.format == "wav")
        #expect(response.hopSeconds == 0.01 && response.frames.count == 300)
        #expect(response.notes.map(\.midi) == KnownMelody.notes.map { Int32($0.midi) })
        #expect(abs(response.tuningCents) < 3)
        let voiced = response.frames.filter(\.voiced)
        #expect(voiced.count > 200 && voiced.allSatisfy { $0.f0Hz > 200 && $0.midi > 59 })
        #expect(response.frames.filter { !$0.voiced }.allSatisfy { $0.f0Hz == 0 && $0.midi == 0 })
        #expect(!response.hasFramesJson)
        await service.kill()
    }

    @Test func blobInFramesJSONOutAndBadInputs() async throws {
        let (service, client, data) = try await startService()
        defer { client.close() }
        let inputKey = "uploads/melody.wav"
        try FileManager.default.createDirectory(atPath: data + "/blobs/uploads", withIntermediateDirectories: true)
        try melodyWAV().write(to: URL(fileURLWithPath: data + "/blobs/" + inputKey))

        var request = Aural_V1_TranscribeMelodyRequest()
        request.audio.blob.key = inputKey
        request.outputKey = "jobs/direct/frames.json"
        let response = try await client.call(TranscriptionMethods.transcribeMelody, request, timeout: .seconds(30))
        let written = try Data(contentsOf: URL(fileURLWithPath: data + "/blobs/jobs/direct/frames.json"))
        #expect(response.framesJson.key == "jobs/direct/frames.json" && response.framesJson.size == UInt64(written.count))
        #expect(response.framesJson.contentType == "application/json" && response.framesJson.sha256.count == 64)
        #expect(framesSchemaViolations(try JSONSerialization.jsonObject(with: written)) == [])

        var corrupt = Aural_V1_TranscribeMelodyRequest()
        corrupt.audio.inlineData = Data("RIFF this is not audio".utf8)
        await #expect { try await client.call(TranscriptionMethods.transcribeMelody, corrupt) } throws: { error in
            (error as? RPCError)?.code == .invalidArgument
        }
        var missing = Aural_V1_TranscribeMelodyRequest()
        missing.audio.blob.key = "uploads/nothing-here.wav"
        await #expect { try await client.call(TranscriptionMethods.transcribeMelody, missing) } throws: { error in
            (error as? RPCError)?.code == .notFound
        }
        var backwards = request
        backwards.fminHz = 800
        backwards.fmaxHz = 100
        await #expect { try await client.call(TranscriptionMethods.transcribeMelody, backwards) } throws: { error in
            (error as? RPCError)?.code == .invalidArgument
        }
        await service.kill()
    }
}
