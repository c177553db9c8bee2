/// When an idempotent call is tried again. Mutating calls are never retried
/// by the client (their idempotency key still lets a caller retry safely).
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int = 3
    public var initialBackoff: Duration = .milliseconds(50)
    public var maxBackoff: Duration = .seconds(1)
    public var retryableCodes: Set<RPCStatusCode> = [.unavailable, .resourceExhausted]

    public init() {}

    public static let none: RetryPolicy = {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        return policy
    }()

    func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempt) { delay = min(delay * 2, maxBackoff) }
        return delay
    }
}
