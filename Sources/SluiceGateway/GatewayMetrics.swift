import Prometheus

/// The gateway's Prometheus metrics (`GET /metrics`, text exposition format, through swift-prometheus):
/// `sluice_requests_total{upstream,code}`, `sluice_request_duration_seconds{upstream}`,
/// `sluice_time_to_first_byte_seconds{upstream}` (streams), `sluice_upstream_in_flight{upstream}` and
/// `sluice_refused_total{code}` for requests the gateway answered itself.
struct GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// Latency buckets from 5 ms to 2 min.
    static let buckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
                                      .seconds(30), .seconds(60), .seconds(120)]

    func finished(upstream: String, code: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "requests", unitName: "total", helpText: "Requests answered by an upstream"),
            labels: [("upstream", upstream), ("code", "\(code)")]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "sluice", metricName: "request_duration", unitName: "seconds", helpText: "Time from receipt to the last byte"),
            labels: [("upstream", upstream)], buckets: Self.buckets
        ).record(duration)
    }

    func firstByte(upstream: String, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "sluice", metricName: "time_to_first_byte", unitName: "seconds", helpText: "Time from receipt to the first streamed byte"),
            labels: [("upstream", upstream)], buckets: Self.buckets
        ).record(duration)
    }

    func inFlight(upstream: String, count: Int) {
        registry.makeGauge(
            descriptor: .init(namespace: "sluice", metricName: "upstream_in_flight", unitName: "requests", helpText: "Requests in flight per upstream"),
            labels: [("upstream", upstream)]
        ).set(to: Double(count))
    }

    /// The speed the gateway has learned for an upstream (``OnlineStepTimeLearner``): time per output token with one
    /// request running, prefill time of a 1,024-token prompt, and the observations behind them.
    func learnedSpeed(upstream: String, decodeSeconds: Double, prefill1kSeconds: Double, observations: Int) {
        for (name, help, value) in [
            ("upstream_learned_tpot", "Learned time per output token with one request running", decodeSeconds),
            ("upstream_learned_prefill_1k", "Learned prefill time of a 1,024-token prompt", prefill1kSeconds),
        ] {
            registry.makeGauge(
                descriptor: .init(namespace: "sluice", metricName: name, unitName: "seconds", helpText: help), labels: [("upstream", upstream)]
            ).set(to: value)
        }
        registry.makeGauge(
            descriptor: .init(namespace: "sluice", metricName: "upstream_speed_observations", unitName: "requests",
                              helpText: "Requests the learned upstream speed rests on"),
            labels: [("upstream", upstream)]
        ).set(to: Double(observations))
    }

    func refused(code: String, tenant: String?) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "refused", unitName: "total", helpText: "Requests the gateway answered with an error itself"),
            labels: [("code", code), ("tenant", tenant ?? "")]
        ).increment()
    }

    /// The exposition text.
    func text() -> [UInt8] { registry.emitToBuffer() }
}

extension GatewayMetrics {
    /// An upstream's health as last checked.
    func upstreamHealthy(upstream: String, up: Bool) {
        registry.makeGauge(
            descriptor: .init(namespace: "sluice", metricName: "upstream", unitName: "healthy", helpText: "1 when the upstream's last check succeeded"),
            labels: [("upstream", upstream)]
        ).set(to: up ? 1 : 0)
    }

    /// Requests waiting for an upstream slot, per priority band.
    func queueLength(band: String, count: Int) {
        registry.makeGauge(
            descriptor: .init(namespace: "sluice", metricName: "queue_waiting", unitName: "requests", helpText: "Requests waiting for an upstream slot"),
            labels: [("band", band)]
        ).set(to: Double(count))
    }

    /// Ledger entries that could not be written.
    func ledgerFailed(_ count: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "ledger_write_failures", unitName: "total", helpText: "Ledger entries that could not be written"),
            labels: []
        ).increment(by: Int64(count))
    }

    /// A finished request's cost.
    func cost(tenant: String?, upstream: String, usd: Double) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "cost", unitName: "usd_total", helpText: "USD charged to requests (GPU-seconds share x price, or per-token prices)"),
            labels: [("tenant", tenant ?? ""), ("upstream", upstream)]
        ).increment(by: usd)
    }

    /// Client disconnects that cancelled their upstream request.
    func cancelled(upstream: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "client_cancelled", unitName: "total", helpText: "Requests whose client went away; their upstream request was cancelled"),
            labels: [("upstream", upstream)]
        ).increment()
    }
}
