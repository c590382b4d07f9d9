import Prometheus

/// The gateway's Prometheus metrics (`GET /metrics`, text exposition format, through swift-prometheus):
/// `sluice_requests_total{upstream,code,tenant}`, `sluice_request_duration_seconds{upstream,tenant}`,
/// `sluice_time_to_first_byte_seconds{upstream}` (streams), `sluice_upstream_in_flight{upstream}`,
/// `sluice_prompt_tokens_total` and `sluice_completion_tokens_total{tenant,upstream}`,
/// `sluice_tenant_budget_remaining_usd` / `_tokens{tenant}` and `sluice_refused_total{code,tenant}` for requests the
/// gateway answered itself. ``prime(upstreams:tenants:)`` creates every per-upstream and per-tenant series at zero,
/// so alerts and rates work from the first scrape.
struct GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// Latency buckets from 5 ms to 2 min.
    static let buckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
                                      .seconds(30), .seconds(60), .seconds(120)]

    func finished(upstream: String, tenant: String?, code: Int, duration: Duration, promptTokens: Int, completionTokens: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "requests", unitName: "total", helpText: "Requests answered by an upstream"),
            labels: [("upstream", upstream), ("code", "\(code)"), ("tenant", tenant ?? "")]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "sluice", metricName: "request_duration", unitName: "seconds", helpText: "Time from receipt to the last byte"),
            labels: [("upstream", upstream), ("tenant", tenant ?? "")], buckets: Self.buckets
        ).record(duration)
        tokens(upstream: upstream, tenant: tenant, prompt: promptTokens, completion: completionTokens)
    }

    private func tokens(upstream: String, tenant: String?, prompt: Int, completion: Int) {
        let labels = [("tenant", tenant ?? ""), ("upstream", upstream)]
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "prompt_tokens", unitName: "total", helpText: "Prompt tokens of answered requests"),
            labels: labels
        ).increment(by: Int64(max(0, prompt)))
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "completion_tokens", unitName: "total", helpText: "Output tokens of answered requests"),
            labels: labels
        ).increment(by: Int64(max(0, completion)))
    }

    /// What is left of a tenant's budget this period (`nil`: no such limit).
    func budgetRemaining(tenant: String, usd: Double?, tokens: Double?) {
        if let usd {
            registry.makeGauge(
                descriptor: .init(namespace: "sluice", metricName: "tenant_budget_remaining", unitName: "usd", helpText: "USD left in the tenant's budget period"),
                labels: [("tenant", tenant)]
            ).set(to: usd)
        }
        if let tokens {
            registry.makeGauge(
                descriptor: .init(namespace: "sluice", metricName: "tenant_budget_remaining", unitName: "tokens", helpText: "Tokens left in the tenant's budget period"),
                labels: [("tenant", tenant)]
            ).set(to: tokens)
        }
    }

    /// Creates the per-upstream and per-tenant series at zero.
    func prime(upstreams: [String], tenants: [String], bands: [String]) {
        for u in upstreams {
            inFlight(upstream: u, count: 0)
            upstreamHealthy(upstream: u, up: true)
            for t in [nil] + tenants.map(Optional.some) {
                tokens(upstream: u, tenant: t, prompt: 0, completion: 0)
                cost(tenant: t, upstream: u, usd: 0)
            }
            cancelledCounter(upstream: u).increment(by: Int64(0))
        }
        for b in bands { queueLength(band: b, count: 0) }
        for t in tenants { downgradedCounter(tenant: t).increment(by: Int64(0)) }
        ledgerFailed(0)
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

    /// A request over its tenant's budget on the dearest upstream was reserved on, and sent to, the cheapest.
    func downgraded(tenant: String) { downgradedCounter(tenant: tenant).increment() }

    private func downgradedCounter(tenant: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "budget_downgraded", unitName: "total",
                              helpText: "Requests over budget on the dearest upstream sent to the cheapest instead (over=downgrade)"),
            labels: [("tenant", tenant)])
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
    func cancelled(upstream: String) { cancelledCounter(upstream: upstream).increment() }

    private func cancelledCounter(upstream: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(namespace: "sluice", metricName: "client_cancelled", unitName: "total", helpText: "Requests whose client went away; their upstream request was cancelled"),
            labels: [("upstream", upstream)]
        )
    }
}
