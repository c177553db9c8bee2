import AuralAudio
import AuralSpeech
import Foundation

/// Speech to text through an OpenAI-compatible `POST /v1/audio/transcriptions`
/// (OpenAI itself, or a self-hosted Whisper server speaking the same API):
/// the audio goes up as 16 kHz mono 16-bit WAV in a multipart form, with
/// `response_format=verbose_json` and word timestamps; the words come back
/// as the local engine's `TimedWord`s.
///
/// Requests are made with libcurl on a thread of their own; waits between
/// retries are task sleeps. `Sendable`: one instance serves any number of
/// concurrent tasks. Cancelling the task ends the request within about a second.
public struct OpenAITranscriber: AsyncSpeechRecognizer {
    public struct Configuration: Sendable, Equatable {
        /// The service's base URL (`https://api.openai.com`,
        /// `http://127.0.0.1:8000`); `/v1/audio/transcriptions` is appended
        /// unless the path already ends in `/audio/transcriptions`.
        public var url: String
        /// Sent as `Authorization: Bearer …` when set.
        public var apiKey: String?
        public var model: String
        /// ISO-639-1 code (`en`); nil lets the service detect it.
        public var language: String?
        public var connectTimeout: Double
        /// The whole exchange, upload to answer, for one attempt.
        public var totalTimeout: Double
        /// Attempts in all for a 429 or 5xx answer (1: no retry).
        public var maxAttempts: Int
        /// First wait after a 429 or 5xx without `Retry-After`; doubled each time.
        public var initialBackoff: Double
        /// Longest wait between attempts: the doubling stops there, and a
        /// `Retry-After` asking for more fails the call rather than holding it.
        public var maxBackoff: Double

        public init(url: String, apiKey: String? = nil, model: String = "whisper-1", language: String? = nil,
                    connectTimeout: Double = 5, totalTimeout: Double = 300, maxAttempts: Int = 4,
                    initialBackoff: Double = 0.5, maxBackoff: Double = 30) {
            self.url = url
            self.apiKey = apiKey
            self.model = model
            self.language = language
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }

        /// From `AURAL_STT_URL` (nil when unset: no remote engine configured),
        /// `AURAL_STT_API_KEY`, `AURAL_STT_MODEL` and `AURAL_STT_LANGUAGE`.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Configuration? {
            guard let url = environment["AURAL_STT_URL"], !url.isEmpty else { return nil }
            func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
            return Configuration(url: url, apiKey: value("AURAL_STT_API_KEY"), model: value("AURAL_STT_MODEL") ?? "whisper-1",
                                 language: value("AURAL_STT_LANGUAGE"))
        }

        var endpoint: String {
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            return base.hasSuffix("/audio/transcriptions") ? base : base + "/v1/audio/transcriptions"
        }
    }

    public let configuration: Configuration
    /// The rate audio is sent at: what Whisper models work at, and a third
    /// of the bytes of 48 kHz.
    public static let uploadSampleRate = 16_000

    public init(configuration: Configuration) throws(RemoteTranscriptionError) {
        guard let url = URL(string: configuration.endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw .invalidConfiguration("AURAL_STT_URL must be an http(s) URL, not \"\(configuration.url)\"")
        }
        guard configuration.maxAttempts >= 1, configuration.connectTimeout > 0, configuration.totalTimeout > 0 else {
            throw .invalidConfiguration("attempts and timeouts must be positive")
        }
        self.configuration = configuration
    }

    public func recognize(_ audio: AudioBuffer, speech: [Range<Double>]?) async throws -> Transcription {
        let wav: Data
        do {
            wav = Self.wav(try Resampler.resample(AudioBuffer(sampleRate: audio.sampleRate, channels: [audio.mono()]),
                                                   to: Self.uploadSampleRate))
        } catch {
            throw RemoteTranscriptionError.invalidConfiguration("audio cannot be resampled: \(error)")
        }
        let transcription = try await transcribe(wav: wav)
        guard let speech else { return transcription }
        // Whisper-style models invent words in silence: keep those in speech.
        let kept = transcription.words.filter { word in
            let middle = (word.start + word.end) / 2
            return speech.contains { $0.contains(middle) }
        }
        return Transcription(words: kept)
    }

    /// Sends a WAV (or any file the service takes) and decodes its answer,
    /// retrying 429 and 5xx answers.
    public func transcribe(wav: Data, filename: String = "audio.wav") async throws -> Transcription {
        var parts: [CurlRequest.Part] = [
            .file(name: "file", filename: filename, contentType: "audio/wav", data: wav),
            .field(name: "model", value: configuration.model),
            .field(name: "response_format", value: "verbose_json"),
            .field(name: "timestamp_granularities[]", value: "word"),
        ]
        if let language = configuration.language { parts.append(.field(name: "language", value: language)) }
        var headers = ["Accept: application/json"]
        if let apiKey = configuration.apiKey { headers.append("Authorization: Bearer \(apiKey)") }
        let request = CurlRequest(url: configuration.endpoint, headers: headers, parts: parts,
                                  connectTimeout: configuration.connectTimeout, totalTimeout: configuration.totalTimeout)

        var attempt = 1
        while true {
            let response: CurlRequest.Response
            do {
                response = try await request.perform()
            } catch {
                switch error {
                case .connection(let detail): throw RemoteTranscriptionError.unreachable("\(configuration.endpoint): \(detail)")
                case .timedOut: throw RemoteTranscriptionError.timedOut(seconds: configuration.totalTimeout)
                case .cancelled: throw CancellationError()
                case .setup(let detail): throw RemoteTranscriptionError.invalidConfiguration(detail)
                }
            }
            let message = Self.errorMessage(response.body)
            switch response.status {
            case 200..<300:
                return try Self.decode(response.body)
            case 401, 403:
                throw RemoteTranscriptionError.authenticationRefused(status: response.status, message: message)
            case 429, 500...599:
                let backoff = min(configuration.maxBackoff, configuration.initialBackoff * pow(2, Double(attempt - 1)))
                let wait = response.retryAfter ?? backoff
                guard attempt < configuration.maxAttempts, wait <= configuration.maxBackoff else {
                    throw response.status == 429
                        ? RemoteTranscriptionError.rateLimited(retryAfter: response.retryAfter, message: message)
                        : RemoteTranscriptionError.serverError(status: response.status, message: message)
                }
                try await Task.sleep(for: .seconds(wait))
                attempt += 1
            default:
                throw RemoteTranscriptionError.rejected(status: response.status, message: message)
            }
        }
    }

    /// The verbose JSON answer: `text` and, asked for, `words`.
    private struct VerboseTranscription: Decodable {
        struct Word: Decodable {
            var word: String
            var start: Double
            var end: Double
            /// Not in OpenAI's answer; some compatible servers add it.
            var probability: Double?
        }
        var text: String
        var words: [Word]?
    }

    static func decode(_ body: Data) throws(RemoteTranscriptionError) -> Transcription {
        let answer: VerboseTranscription
        do {
            answer = try JSONDecoder().decode(VerboseTranscription.self, from: body)
        } catch {
            throw .badResponse("not a verbose_json transcription: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        let text = answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let words = answer.words else {
            if text.isEmpty { return Transcription(words: [], text: "") }
            throw .badResponse("no word timestamps in the answer (does the service support timestamp_granularities[]=word?)")
        }
        var recognized: [TimedWord] = []
        for word in words {
            guard word.start.isFinite, word.end.isFinite, word.start >= 0, word.end >= word.start,
                  word.start >= (recognized.last?.start ?? 0) else {
                throw .badResponse("word \"\(word.word)\" has times \(word.start)–\(word.end) out of order")
            }
            let spelled = word.word.trimmingCharacters(in: .whitespacesAndNewlines)
            if spelled.isEmpty { continue }
            recognized.append(TimedWord(word: spelled, start: word.start, end: word.end, confidence: min(1, max(0, word.probability ?? 1))))
        }
        return Transcription(words: recognized, text: text)
    }

    /// OpenAI's error body is `{"error": {"message": …}}`; otherwise the body's start.
    static func errorMessage(_ body: Data) -> String {
        struct ErrorBody: Decodable {
            struct Detail: Decodable { var message: String }
            var error: Detail
        }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body) { return decoded.error.message }
        return String(decoding: body.prefix(300), as: UTF8.self)
    }

    /// 16-bit PCM WAV of the first channel.
    static func wav(_ audio: AudioBuffer) -> Data {
        let samples = audio.channels[0]
        let dataBytes = samples.count * 2
        var data = Data(capacity: 44 + dataBytes)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + dataBytes))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16))
        append(UInt16(1)); append(UInt16(1))  // PCM, mono
        append(UInt32(audio.sampleRate)); append(UInt32(audio.sampleRate * 2))  // byte rate
        append(UInt16(2)); append(UInt16(16))  // block align, bits
        data.append(contentsOf: Array("data".utf8)); append(UInt32(dataBytes))
        for sample in samples { append(Int16(clamping: Int((sample * 32767).rounded()))) }
        return data
    }
}
