import Metrics
import Prometheus

/// The Edge's metric names in one place, and the registry `/metrics` renders.
/// Libraries record through swift-metrics; the Edge bootstraps the factory.
public enum EdgeMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus backend; call once, at start-up.
    public static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    static func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "aural_http_requests_total", dimensions: dimensions).increment()
        Timer(label: "aural_http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
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
