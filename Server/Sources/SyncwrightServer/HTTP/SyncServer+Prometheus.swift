import Metrics
import Prometheus

extension SyncServer {
    /// Makes Prometheus the process's swift-metrics backend, once per process, and
    /// returns its registry, which `GET /metrics` renders. Later calls return the same
    /// registry. A process that bootstrapped another backend passes none to
    /// ``application(service:verifier:host:port:limits:services:logger:metrics:onServerRunning:beforeServerStarts:)``.
    public static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        PrometheusBootstrap.registry
    }
}

private enum PrometheusBootstrap {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
