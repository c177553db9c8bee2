import Metrics
import Prometheus
import Synchronization

/// The Edge's metric names in one place, and the registry `/metrics` renders.
/// Libraries record through swift-metrics; the Edge bootstraps the factory.
public enum EdgeMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus backend; call once, at start-up.
    public static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Handles per (method, route, status): making one goes through the
    /// factory's registry and its lock, too slow to repeat on every request.
    private static let requestMetrics = Mutex<[String: (requests: Metrics.Counter, duration: Metrics.Timer)]>([:])

    static func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = "\(method) \(route) \(status)"
        let metrics = requestMetrics.withLock { cache in
            if let found = cache[key] { return found }
            let made = (requests: Counter(label: "aural_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))]),
                        duration: Timer(label: "aural_http_request_duration_seconds", dimensions: [("method", method), ("route", route)]))
            cache[key] = made
            return made
        }
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    static func recordUpload(bytes: Int, outcome: String) {
        Counter(label: "aural_uploads_total", dimensions: [("outcome", outcome)]).increment()
        if outcome == "accepted" { Counter(label: "aural_upload_bytes_total").increment(by: bytes) }
    }

    /// Jobs created through this Edge and jobs it saw finish, by status.
    static func recordJob(status: String) {
        Counter(label: "aural_jobs_total", dimensions: [("status", status)]).increment()
    }

    static func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
