import AuralWire

public typealias RPCStatusCode = Aural_V1_StatusCode

/// The error every Aural RPC call throws and every handler may throw: a gRPC
/// status code with a message. Any other error a handler throws becomes
/// `INTERNAL` (its text is logged, not sent).
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: RPCStatusCode
    public var message: String

    public init(_ code: RPCStatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }

    public static func invalidArgument(_ message: String) -> RPCError { .init(.invalidArgument, message) }
    public static func notFound(_ message: String) -> RPCError { .init(.notFound, message) }
    public static func unavailable(_ message: String) -> RPCError { .init(.unavailable, message) }
    public static func deadlineExceeded(_ message: String) -> RPCError { .init(.deadlineExceeded, message) }
    public static func resourceExhausted(_ message: String) -> RPCError { .init(.resourceExhausted, message) }
    public static func internalError(_ message: String) -> RPCError { .init(.internal, message) }
    public static func unimplemented(_ message: String) -> RPCError { .init(.unimplemented, message) }
    public static func failedPrecondition(_ message: String) -> RPCError { .init(.failedPrecondition, message) }
    public static func cancelled(_ message: String) -> RPCError { .init(.cancelled, message) }
}

extension RPCStatusCode {
    /// The proto enum name, e.g. "DEADLINE_EXCEEDED".
    public var name: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        case .UNRECOGNIZED(let value): "CODE_\(value)"
        }
    }
}
