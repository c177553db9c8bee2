import Hummingbird
import Logging
import NIOCore

/// Per-request state the Edge's middleware fills in: the request id every
/// log line, RPC call and error body carries, and the caller's principal.
public struct EdgeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    /// The API key that authenticated the call, or nil when keys are off.
    public var apiKey: String?
    /// The peer's IP address, the rate limiter's key when there is no API key.
    public let remoteIP: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Only small JSON bodies are ever collected; uploads are streamed.
    public var maxUploadSize: Int { 1 << 20 }
}
