import AuralBlob
import AuralRPC
import Foundation

/// Everything the Edge reads from its environment, with the defaults a
/// local run wants. Each field names its variable.
public struct EdgeConfiguration: Sendable {
    /// AURAL_HTTP_HOST, AURAL_HTTP_PORT (default 0.0.0.0:8080).
    public var host = "0.0.0.0"
    public var port = 8080
    /// AURAL_DATA_DIR: blobs live under DATA/blobs, sockets under DATA/run.
    public var dataDirectory = "./data"
    public var addresses: AuralAddresses
    /// AURAL_MAX_UPLOAD_MB (default 500).
    public var maxUploadBytes = 500 << 20
    /// AURAL_MIN_FREE_DISK_MB: uploads are refused with 507 below this floor (default 1024).
    public var minimumFreeDiskBytes: Int64 = 1024 << 20
    /// AURAL_API_KEYS, comma-separated; empty: the API is open.
    public var apiKeys: Set<String> = []
    /// AURAL_CORS_ORIGINS, comma-separated origins or `*`; empty: no CORS headers.
    public var corsOrigins: [String] = []
    /// AURAL_RATE_LIMIT_RPS and AURAL_RATE_LIMIT_BURST per API key or client IP; 0 turns limiting off.
    public var rateLimitPerSecond = 100.0
    public var rateLimitBurst = 200.0
    /// AURAL_MAX_QUEUED_JOBS: 503 for new uploads while this many jobs wait (0: no limit).
    public var maxQueuedJobs = 0
    /// AURAL_SSE_KEEPALIVE_SECONDS: comment lines that keep idle streams and proxies alive.
    public var keepAliveInterval: Duration = .seconds(15)
    /// AURAL_STREAM_BUFFER: events a slow SSE/WebSocket client may lag behind before it is dropped.
    public var streamBufferEvents = 256
    /// Deadline of each SessionService call.
    public var rpcTimeout: Duration = .seconds(10)

    public var blobRoot: String { dataDirectory + "/blobs" }

    public init(environment: AuralEnvironment = .init()) throws {
        func list(_ key: String) -> [String] {
            (environment[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        host = environment["AURAL_HTTP_HOST"] ?? host
        port = try environment.integer("AURAL_HTTP_PORT") ?? port
        dataDirectory = environment["AURAL_DATA_DIR"] ?? dataDirectory
        addresses = AuralAddresses(runDirectory: dataDirectory + "/run", environment: environment)
        if let megabytes = try environment.integer("AURAL_MAX_UPLOAD_MB") {
            guard megabytes > 0 else { throw ConfigurationError("AURAL_MAX_UPLOAD_MB must be positive") }
            maxUploadBytes = megabytes << 20
        }
        if let megabytes = try environment.integer("AURAL_MIN_FREE_DISK_MB") { minimumFreeDiskBytes = Int64(megabytes) << 20 }
        apiKeys = Set(list("AURAL_API_KEYS"))
        corsOrigins = list("AURAL_CORS_ORIGINS")
        rateLimitPerSecond = try environment.double("AURAL_RATE_LIMIT_RPS") ?? rateLimitPerSecond
        rateLimitBurst = try environment.double("AURAL_RATE_LIMIT_BURST") ?? max(rateLimitBurst, rateLimitPerSecond)
        maxQueuedJobs = try environment.integer("AURAL_MAX_QUEUED_JOBS") ?? maxQueuedJobs
        if let seconds = try environment.double("AURAL_SSE_KEEPALIVE_SECONDS") { keepAliveInterval = .milliseconds(Int(seconds * 1000)) }
        streamBufferEvents = try environment.integer("AURAL_STREAM_BUFFER") ?? streamBufferEvents
        if let seconds = try environment.double("AURAL_RPC_TIMEOUT_SECONDS") {
            guard seconds > 0 else { throw ConfigurationError("AURAL_RPC_TIMEOUT_SECONDS must be positive") }
            rpcTimeout = .milliseconds(Int(seconds * 1000))
        }
    }
}

extension LocalBlobStore {
    /// Free bytes on the file system holding the store (uploads and readiness check it); nil if unknown.
    var freeBytes: Int64? {
        ((try? FileManager.default.attributesOfFileSystem(forPath: root.path))?[.systemFreeSize] as? NSNumber)?.int64Value
    }
}
