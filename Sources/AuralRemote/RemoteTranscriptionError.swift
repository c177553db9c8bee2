/// Why a remote transcription failed, by what the caller can do about it.
public enum RemoteTranscriptionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answered: connection refused, unknown host, connect timeout,
    /// or the connection dropped. The service is down or the URL is wrong.
    case unreachable(String)
    /// Connected, but the whole exchange took longer than the total timeout.
    case timedOut(seconds: Double)
    /// 401 or 403: the API key is missing, wrong or not allowed this model.
    case authenticationRefused(status: Int, message: String)
    /// 429 still after every retry, or a `Retry-After` longer than we wait.
    case rateLimited(retryAfter: Double?, message: String)
    /// 5xx still after every retry.
    case serverError(status: Int, message: String)
    /// Another 4xx: the request itself was refused (bad model name, bad audio).
    case rejected(status: Int, message: String)
    /// A 2xx whose body is not the verbose JSON transcription asked for.
    case badResponse(String)
    /// The URL, key or options cannot make a request.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "speech-to-text service unreachable: \(detail)"
        case .timedOut(let seconds): "speech-to-text request timed out after \(seconds) s"
        case .authenticationRefused(let status, let message): "speech-to-text service refused the API key (\(status)): \(message)"
        case .rateLimited(let retryAfter, let message):
            "speech-to-text service rate-limited us\(retryAfter.map { " (retry after \($0) s)" } ?? ""): \(message)"
        case .serverError(let status, let message): "speech-to-text service failed (\(status)): \(message)"
        case .rejected(let status, let message): "speech-to-text service rejected the request (\(status)): \(message)"
        case .badResponse(let detail): "speech-to-text service answered unexpectedly: \(detail)"
        case .invalidConfiguration(let detail): "speech-to-text configuration: \(detail)"
        }
    }
}
