import AuralWire
import SwiftProtobuf

/// A typed method descriptor shared by clients and servers, e.g.
/// `RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>("aural.v1.Health/Echo", idempotent: true)`.
///
/// Idempotent methods may be retried by the client and resent by nng when a
/// connection drops. Mutating (non-idempotent) methods carry an idempotency
/// key the server deduplicates on, and are never retried by the client.
public struct RPCMethod<Request: SwiftProtobuf.Message & Sendable, Response: SwiftProtobuf.Message & Sendable>: Sendable {
    public let name: String
    public let idempotent: Bool

    public init(_ name: String, idempotent: Bool) {
        self.name = name
        self.idempotent = idempotent
    }
}

/// Metadata keys carried in the envelope.
public enum RPCMetadataKey {
    public static let requestID = "request-id"
    public static let traceparent = "traceparent"
    public static let principal = "principal"
    public static let idempotencyKey = "idempotency-key"
}

/// The methods every Aural RPC server answers.
public enum HealthMethods {
    public static let check = RPCMethod<Aural_V1_HealthCheckRequest, Aural_V1_HealthCheckResponse>(
        "aural.v1.Health/Check", idempotent: true)
    public static let echo = RPCMethod<Aural_V1_EchoRequest, Aural_V1_EchoResponse>(
        "aural.v1.Health/Echo", idempotent: true)
}
