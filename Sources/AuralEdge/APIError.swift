import AuralRPC
import Foundation
import HTTPTypes
import Hummingbird

/// Every error the public API returns: an HTTP status, a stable machine
/// code and a human message, rendered as DESIGN.md §4's error body.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func badRequest(_ message: String) -> APIError { .init(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { .init(.notFound, "not_found", message) }
    static func conflict(_ message: String) -> APIError { .init(.conflict, "conflict", message) }
    static func unauthorized(_ message: String) -> APIError {
        .init(.unauthorized, "unauthorized", message, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func payloadTooLarge(_ message: String) -> APIError { .init(.contentTooLarge, "payload_too_large", message) }
    static func unsupportedMediaType(_ message: String) -> APIError {
        .init(.unsupportedMediaType, "unsupported_media_type", message)
    }
    static func unprocessable(_ message: String) -> APIError { .init(.unprocessableContent, "unprocessable_audio", message) }
    static func rangeNotSatisfiable(size: Int) -> APIError {
        .init(.rangeNotSatisfiable, "range_not_satisfiable", "the requested range is outside the file of \(size) bytes",
              headers: [.contentRange: "bytes */\(size)"])
    }
    static func tooManyRequests(retryAfter seconds: Int) -> APIError {
        .init(.tooManyRequests, "rate_limited", "too many requests; retry after \(seconds) s",
              headers: [.retryAfter: String(seconds)])
    }
    static func serviceUnavailable(_ message: String, retryAfter seconds: Int? = nil) -> APIError {
        .init(.serviceUnavailable, "service_unavailable", message,
              headers: seconds.map { [.retryAfter: String($0)] } ?? [:])
    }
    static func insufficientStorage(_ message: String) -> APIError {
        .init(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "insufficient_storage", message)
    }
    static func internalError(_ message: String) -> APIError { .init(.internalServerError, "internal", message) }

    /// SessionService's status codes in HTTP terms.
    init(_ error: RPCError, service: String) {
        switch error.code {
        case .notFound: self = .notFound(error.message)
        case .invalidArgument, .outOfRange: self = .badRequest(error.message)
        case .failedPrecondition, .alreadyExists, .aborted: self = .conflict(error.message)
        case .resourceExhausted: self = .serviceUnavailable(error.message, retryAfter: 5)
        case .unavailable, .deadlineExceeded, .cancelled: self = .serviceUnavailable("\(service): \(error.message)", retryAfter: 1)
        default: self = .internalError("\(service): \(error.message)")
        }
    }

    /// The JSON body, `{"error":{"code","message","request_id"}}`.
    func response(requestID: String) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable {
                let code: String
                let message: String
                let request_id: String
            }
            let error: Detail
        }
        let data = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message, request_id: requestID)))) ?? Data()
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// Any error a handler throws, as the API error the client sees.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as RPCError: return APIError(error, service: "a backend service")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound(error.body ?? "no such route")
            case .methodNotAllowed: return .init(.methodNotAllowed, "method_not_allowed", error.body ?? "method not allowed")
            case .contentTooLarge: return .payloadTooLarge(error.body ?? "the request body is too large")
            case .badRequest: return .badRequest(error.body ?? "bad request")
            default: return .init(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        case is DecodingError: return .badRequest("malformed JSON body: \(error)")
        default: return .internalError("internal error")
        }
    }
}
