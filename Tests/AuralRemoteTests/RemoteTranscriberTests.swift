import AuralAudio
@testable import AuralRemote
import AuralSpeech
import Foundation
import Hummingbird
import HummingbirdTesting
import MultipartKit
import NIOCore
import Synchronization
import Testing

/// The OpenAI transcription client against a real HTTP server on loopback
/// that parses the multipart request, checks its fields and answers in the
/// verbose JSON format with one "word" per tone burst it finds in the WAV.
@Suite struct RemoteTranscriberTests {
    /// Tone bursts at known times, 44.1 kHz stereo: the client must mix down,
    /// resample to 16 kHz and encode a WAV the server can measure.
    static let bursts: [Range<Double>] = [0.5..<1.0, 2.0..<2.6]
    static let audio: AudioBuffer = {
        let rate = 44_100
        let samples = (0..<(3 * rate)).map { i -> Float in
            let time = Double(i) / Double(rate)
            return bursts.contains { $0.contains(time) } ? Float(0.4 * sin(2 * Double.pi * 440 * time)) : 0
        }
        return AudioBuffer(sampleRate: rate, channels: [samples, samples])
    }()

    func configuration(_ port: Int, _ scenario: String, apiKey: String? = TranscriptionServer.apiKey) -> OpenAITranscriber.Configuration {
        OpenAITranscriber.Configuration(url: "http://127.0.0.1:\(port)/\(scenario)", apiKey: apiKey, model: "whisper-test", language: "en",
                                        connectTimeout: 2, totalTimeout: 10, maxAttempts: 3, initialBackoff: 0.05, maxBackoff: 2)
    }

    @Test func wordsComeBackWithTheTimesOfTheSpeechSent() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            let transcriber = try OpenAITranscriber(configuration: configuration(port, "ok"))
            let transcription = try await transcriber.recognize(Self.audio, speech: nil)
            #expect(transcription.words.map(\.word) == ["tone", "tone"])
            for (word, burst) in zip(transcription.words, Self.bursts) {
                #expect(abs(word.start - burst.lowerBound) < 0.03 && abs(word.end - burst.upperBound) < 0.03)
                #expect(word.confidence == 0.75)
            }
            #expect(transcription.text == "Tone, tone.")
            let request = try #require(server.requests.first)
            #expect(request.model == "whisper-test" && request.responseFormat == "verbose_json")
            #expect(request.granularities == ["word"] && request.language == "en")
            #expect(request.filename == "audio.wav" && request.fileType == "audio/wav")
            #expect(request.sampleRate == 16_000 && abs(request.duration - 3) < 0.01)

            // Words outside the caller's speech spans are dropped.
            let spanned = try await transcriber.recognize(Self.audio, speech: [0..<1.5])
            #expect(spanned.words.count == 1 && spanned.text == "tone")
        }
    }

    @Test func rateLimitIsRetriedAfterTheServersDelay() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            let transcriber = try OpenAITranscriber(configuration: configuration(port, "rate-limited-once"))
            let started = ContinuousClock.now
            let transcription = try await transcriber.recognize(Self.audio, speech: nil)
            #expect(transcription.words.count == 2)
            #expect(server.requests.count == 2)
            #expect(ContinuousClock.now - started >= .seconds(1))  // Retry-After: 1, not the 0.05 s backoff
        }
    }

    @Test func aRetryAfterLongerThanTheLongestWaitFailsAtOnce() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            let transcriber = try OpenAITranscriber(configuration: configuration(port, "rate-limited-long"))
            let started = ContinuousClock.now
            await #expect(throws: RemoteTranscriptionError.rateLimited(retryAfter: 120, message: "Rate limit reached")) {
                try await transcriber.recognize(Self.audio, speech: nil)
            }
            #expect(server.requests.count == 1)
            // Not the 120 s asked for (the bound leaves room for a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func serverErrorsAreRetriedThenReported() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            let transcriber = try OpenAITranscriber(configuration: configuration(port, "failing"))
            await #expect(throws: RemoteTranscriptionError.serverError(status: 500, message: "the model crashed")) {
                try await transcriber.recognize(Self.audio, speech: nil)
            }
            #expect(server.requests.count == 3)  // maxAttempts

            let recovering = try OpenAITranscriber(configuration: configuration(port, "unavailable-twice"))
            #expect(try await recovering.recognize(Self.audio, speech: nil).words.count == 2)
        }
    }

    @Test func refusedKeysAndRejectedRequestsAreNotRetried() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            let wrongKey = try OpenAITranscriber(configuration: configuration(port, "ok", apiKey: "wrong"))
            await #expect(throws: RemoteTranscriptionError.authenticationRefused(status: 401, message: "Incorrect API key provided")) {
                try await wrongKey.recognize(Self.audio, speech: nil)
            }
            var badModel = configuration(port, "ok")
            badModel.model = "no-such-model"
            await #expect(throws: RemoteTranscriptionError.rejected(status: 400, message: "unknown model no-such-model")) {
                try await OpenAITranscriber(configuration: badModel).recognize(Self.audio, speech: nil)
            }
            #expect(server.requests.count == 1)  // the 401 was answered before the form was read
        }
    }

    @Test func malformedAnswersAndSlowServersAreTypedErrors() async throws {
        let server = TranscriptionServer()
        try await server.run { port in
            await #expect { try await OpenAITranscriber(configuration: configuration(port, "not-json")).recognize(Self.audio, speech: nil) }
                throws: { if case .badResponse = $0 as? RemoteTranscriptionError { true } else { false } }
            await #expect { try await OpenAITranscriber(configuration: configuration(port, "no-words")).recognize(Self.audio, speech: nil) }
                throws: { if case .badResponse = $0 as? RemoteTranscriptionError { true } else { false } }
            var slow = configuration(port, "slow")
            slow.totalTimeout = 0.5
            await #expect(throws: RemoteTranscriptionError.timedOut(seconds: 0.5)) {
                try await OpenAITranscriber(configuration: slow).recognize(Self.audio, speech: nil)
            }
        }
    }

    @Test func aServerThatIsDownIsReportedUnreachable() async throws {
        // Bind a port, then close it: nothing listens there.
        let server = TranscriptionServer()
        let closedPort = try await server.run { port in port }
        let transcriber = try OpenAITranscriber(configuration: configuration(closedPort, "ok"))
        await #expect { try await transcriber.recognize(Self.audio, speech: nil) }
            throws: { if case .unreachable = $0 as? RemoteTranscriptionError { true } else { false } }
    }

    @Test func configurationComesFromTheEnvironment() throws {
        #expect(OpenAITranscriber.Configuration.fromEnvironment([:]) == nil)
        let configuration = try #require(OpenAITranscriber.Configuration.fromEnvironment(
            ["AURAL_STT_URL": "https://api.example.test/", "AURAL_STT_API_KEY": "k", "AURAL_STT_LANGUAGE": "de"]))
        #expect(configuration.endpoint == "https://api.example.test/v1/audio/transcriptions")
        #expect(configuration.apiKey == "k" && configuration.language == "de" && configuration.model == "whisper-1")
        #expect(OpenAITranscriber.Configuration(url: "http://h:1/v1/audio/transcriptions").endpoint == "http://h:1/v1/audio/transcriptions")
        #expect(throws: RemoteTranscriptionError.self) { try OpenAITranscriber(configuration: .init(url: "ftp://h/")) }
        #expect(CurlRequest.seconds(retryAfter: "7") == 7)
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        #expect(CurlRequest.seconds(retryAfter: "Sun, 09 Sep 2001 01:47:00 GMT", now: now) == 20)
    }
}

/// An OpenAI-compatible transcription endpoint. The first path component
/// picks how it behaves: `ok`, `rate-limited-once` (429 with Retry-After: 1,
/// then as ok), `rate-limited-long` (429 with Retry-After: 120), `failing` (always 500), `unavailable-twice` (503, 503, ok),
/// `not-json`, `no-words`, `slow` (answers after 3 s).
final class TranscriptionServer: Sendable {
    static let apiKey = "test-key"

    struct Received: Sendable {
        var model: String
        var responseFormat: String
        var granularities: [String]
        var language: String?
        var filename: String?
        var fileType: String?
        var sampleRate: Int
        var duration: Double
    }

    private let received = Mutex<[Received]>([])
    private let calls = Mutex<[String: Int]>([:])
    var requests: [Received] { received.withLock { $0 } }

    func run<T: Sendable>(_ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("{scenario}/v1/audio/transcriptions") { request, context in
            try await self.answer(request, scenario: context.parameters.get("scenario") ?? "")
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    /// One part of a multipart/form-data body.
    private struct Part {
        var headers: [String: String] = [:]
        var body = ByteBuffer()
        /// `name` or `filename` from its Content-Disposition.
        func disposition(_ key: String) -> String? {
            (headers["content-disposition"] ?? "").components(separatedBy: ";").lazy
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix(key + "=") }
                .map { String($0.dropFirst(key.count + 1)).trimmingCharacters(in: ["\""]) }
        }
    }

    /// MultipartKit's parser reports through callbacks: gather the parts.
    private final class PartCollector {
        var parts: [Part] = []
        var current = Part()
    }

    private static func parts(of body: ByteBuffer, boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        let collector = PartCollector()
        parser.onHeader = { name, value in collector.current.headers[name.lowercased()] = value }
        parser.onBody = { chunk in collector.current.body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            collector.parts.append(collector.current)
            collector.current = Part()
        }
        try parser.execute(body)
        return collector.parts
    }

    private func answer(_ request: Request, scenario: String) async throws -> Response {
        guard request.headers[.authorization] == "Bearer \(Self.apiKey)" else {
            return Self.json(.unauthorized, #"{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}"#)
        }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.hasPrefix("multipart/form-data"), let boundary = contentType.components(separatedBy: "boundary=").last else {
            return Self.json(.badRequest, #"{"error": {"message": "expected multipart/form-data"}}"#)
        }
        let body = try await request.body.collect(upTo: 16 << 20)
        let parts = try Self.parts(of: body, boundary: boundary.trimmingCharacters(in: ["\""]))
        func field(_ name: String) -> String? {
            parts.first { $0.disposition("name") == name }.map { String(buffer: $0.body) }
        }
        guard let file = parts.first(where: { $0.disposition("name") == "file" }), let wav = Self.parseWAV(file.body) else {
            return Self.json(.badRequest, #"{"error": {"message": "file is not 16-bit mono PCM WAV"}}"#)
        }
        let form = (model: field("model") ?? "", response_format: field("response_format") ?? "",
                    timestamp_granularities: parts.filter { $0.disposition("name") == "timestamp_granularities[]" }.map { String(buffer: $0.body) })
        received.withLock {
            $0.append(Received(
                model: form.model, responseFormat: form.response_format, granularities: form.timestamp_granularities,
                language: field("language"), filename: file.disposition("filename"), fileType: file.headers["content-type"],
                sampleRate: wav.rate, duration: Double(wav.samples.count) / Double(wav.rate)))
        }
        guard form.model == "whisper-test" else { return Self.json(.badRequest, #"{"error": {"message": "unknown model \#(form.model)"}}"#) }
        guard form.response_format == "verbose_json", form.timestamp_granularities == ["word"] else {
            return Self.json(.badRequest, #"{"error": {"message": "word timestamps need verbose_json"}}"#)
        }
        let call = calls.withLock { calls in
            calls[scenario, default: 0] += 1
            return calls[scenario]!
        }
        switch scenario {
        case "rate-limited-once" where call == 1:
            var response = Self.json(.tooManyRequests, #"{"error": {"message": "Rate limit reached"}}"#)
            response.headers[.retryAfter] = "1"
            return response
        case "rate-limited-long":
            var response = Self.json(.tooManyRequests, #"{"error": {"message": "Rate limit reached"}}"#)
            response.headers[.retryAfter] = "120"
            return response
        case "failing":
            return Self.json(.internalServerError, #"{"error": {"message": "the model crashed"}}"#)
        case "unavailable-twice" where call <= 2:
            return Self.json(.serviceUnavailable, "upstream busy")
        case "not-json":
            return Self.json(.ok, "<html>proxy error</html>")
        case "no-words":
            return Self.json(.ok, #"{"text": "Tone, tone."}"#)
        case "slow":
            try await Task.sleep(for: .seconds(3))
        default: break
        }
        // One word per burst of sound, found by 10 ms frame energy.
        let frame = wav.rate / 100
        var words: [String] = [], start: Int?
        for index in 0...(wav.samples.count / frame) {
            let frameSamples = wav.samples[min(index * frame, wav.samples.count)..<min((index + 1) * frame, wav.samples.count)]
            let loud = frameSamples.contains { $0 > 1000 || $0 < -1000 }
            if loud, start == nil { start = index }
            if !loud, let first = start {
                words.append(#"{"word": " tone", "start": \#(Double(first) / 100), "end": \#(Double(index) / 100), "probability": 0.75}"#)
                start = nil
            }
        }
        let duration = Double(wav.samples.count) / Double(wav.rate)
        return Self.json(.ok, #"{"task": "transcribe", "language": "english", "duration": \#(duration), "text": " Tone, tone.", "words": [\#(words.joined(separator: ", "))], "segments": []}"#)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The samples of a canonical 16-bit mono PCM WAV (44-byte header).
    private static func parseWAV(_ buffer: ByteBuffer) -> (rate: Int, samples: [Int16])? {
        let bytes = Array(buffer.readableBytesView)
        func integer(_ offset: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<16].elementsEqual("WAVEfmt ".utf8),
              integer(20, 2) == 1, integer(22, 2) == 1, integer(34, 2) == 16, bytes[36..<40].elementsEqual("data".utf8),
              integer(40, 4) == bytes.count - 44 else { return nil }
        let samples = stride(from: 44, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(integer($0, 2))) }
        return (integer(24, 4), samples)
    }
}
