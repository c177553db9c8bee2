import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Token buckets per API key (or client IP when keys are off): `rate`
/// requests a second on average, bursts up to `burst`; past that, 429 with
/// `Retry-After`. Idle buckets are forgotten so the table stays small.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(burst, 1)
    }

    /// nil when the request may go ahead, else the seconds until it could.
    func take(for key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 10_000 { buckets = buckets.filter { now - $0.value.updated < .seconds(burst / rate) } }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double((now - bucket.updated) / .milliseconds(1)) / 1000
            bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}

struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = EdgeContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: EdgeContext, next: (Request, EdgeContext) async throws -> Response) async throws -> Response {
        let key = context.apiKey.map { "key:" + $0 } ?? "ip:" + context.remoteIP
        if let wait = limiter.take(for: key) { throw APIError.tooManyRequests(retryAfter: wait) }
        return try await next(request, context)
    }
}
