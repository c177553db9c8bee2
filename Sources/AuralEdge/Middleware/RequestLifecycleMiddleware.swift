import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// The outermost layer: gives every request an id (the client's
/// `X-Request-ID` when it sends a sane one), turns every thrown error into
/// the JSON error body, and writes one structured access-log line and the
/// request metrics once the status is known.
struct RequestLifecycleMiddleware: RouterMiddleware {
    typealias Context = EdgeContext
    let logger: Logger

    func handle(_ request: Request, context: EdgeContext, next: (Request, EdgeContext) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            response = apiError.response(requestID: context.requestID)
        }
        response.headers[.xRequestID] = context.requestID
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - start
        EdgeMetrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        logger.info("request", metadata: [
            "request_id": .string(context.requestID), "method": .string(request.method.rawValue),
            "path": .string(request.uri.path), "route": .string(route), "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible((elapsed / .microseconds(1)).rounded() / 1000), "remote": .string(context.remoteIP),
        ])
        return response
    }

    /// A client-chosen id is kept when it is short and printable, so it can be
    /// traced through our logs; anything else is replaced.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.xRequestID], (1...128).contains(given.count),
           given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let xAPIKey = Self("X-API-Key")!
    static let xFilename = Self("X-Filename")!
    static let lastEventID = Self("Last-Event-ID")!
}
