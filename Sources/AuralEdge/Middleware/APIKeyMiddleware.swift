import HTTPTypes
import Hummingbird

/// When `AURAL_API_KEYS` is set, every `/api` route needs one of the keys,
/// as `Authorization: Bearer KEY` or `X-API-Key: KEY`.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = EdgeContext
    let keys: Set<String>

    func handle(_ request: Request, context: EdgeContext, next: (Request, EdgeContext) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty else { return try await next(request, context) }
        guard let presented = Self.presentedKey(request.headers) else {
            throw APIError.unauthorized("an API key is required (Authorization: Bearer KEY or X-API-Key: KEY)")
        }
        guard keys.contains(presented) else { throw APIError.unauthorized("the API key is not valid") }
        var context = context
        context.apiKey = presented
        return try await next(request, context)
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        return headers[.xAPIKey]
    }
}
