import HTTPTypes
import Hummingbird

/// CORS for the configured origins (`AURAL_CORS_ORIGINS`, or `*`): answers
/// preflights and adds the allow headers to responses for those origins.
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = EdgeContext
    let origins: [String]

    func handle(_ request: Request, context: EdgeContext, next: (Request, EdgeContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains("*") || origins.contains(origin) else {
            return try await next(request, context)
        }
        var headers: HTTPFields = [
            .accessControlAllowOrigin: origins.contains("*") ? "*" : origin,
            .accessControlExposeHeaders: "X-Request-ID, Location, Content-Range, Accept-Ranges, ETag, Retry-After",
        ]
        if !origins.contains("*") { headers[.vary] = "Origin" }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, X-API-Key, Content-Type, X-Filename, X-Request-ID, Last-Event-ID, Range"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: headers)
        return response
    }
}
