import AuralAudio

/// A local speech-to-text engine: blocking and CPU-bound. Run it on a thread
/// of your own (`BlockingWorkPool`), never on Swift's cooperative pool, and
/// give each thread its own instance: engines keep decoder state between calls
/// and are not `Sendable`.
public protocol SpeechRecognizer: AnyObject {
    /// Recognizes `audio` (any rate, any channel count: mixed to mono and
    /// resampled as the engine needs). `speech` lists the spans in seconds
    /// that hold speech (from a voice-activity detector); only those are
    /// decoded. nil decodes the whole clip.
    func recognize(_ audio: AudioBuffer, speech: [Range<Double>]?) throws -> Transcription
}

/// A remote speech-to-text engine: network calls, so asynchronous, and
/// `Sendable` so one client serves many tasks.
public protocol AsyncSpeechRecognizer: Sendable {
    /// As `SpeechRecognizer.recognize`; a remote service decodes the whole
    /// clip and words outside `speech` are dropped.
    func recognize(_ audio: AudioBuffer, speech: [Range<Double>]?) async throws -> Transcription
}

/// Why a local engine failed.
public enum SpeechRecognitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The acoustic model, language model or dictionary is not where it was looked for.
    case modelNotFound(String)
    /// The decoder refused its configuration or failed mid-utterance.
    case decoderFailed(String)
    /// The audio could not be read, decoded or resampled.
    case invalidAudio(String)

    public var description: String {
        switch self {
        case .modelNotFound(let detail): "speech model not found: \(detail)"
        case .decoderFailed(let detail): "speech decoder failed: \(detail)"
        case .invalidAudio(let detail): "audio unusable for speech recognition: \(detail)"
        }
    }
}
