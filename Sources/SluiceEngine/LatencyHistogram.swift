/// A Prometheus histogram of seconds (cumulative buckets, sum, count), as vLLM exports its latencies.
///
/// Invariant: `counts[i]` counts observations ≤ `bounds[i]`, non-cumulatively; `count` includes those above the last.
struct LatencyHistogram: Sendable, Hashable {
    /// vLLM's buckets for `vllm:time_to_first_token_seconds`.
    static let ttftBounds: [Double] = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560]
    /// vLLM's buckets for `vllm:time_per_output_token_seconds`.
    static let interTokenBounds: [Double] = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]

    let bounds: [Double]
    private(set) var counts: [Int]
    private(set) var count = 0
    private(set) var sumSeconds = 0.0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ seconds: Double) {
        count += 1
        sumSeconds += seconds
        if let i = bounds.firstIndex(where: { seconds <= $0 }) { counts[i] += 1 }
    }

    /// The exposition lines of `name` with `labels` (`model_name="m"`).
    func render(name: String, help: String, labels: String) -> String {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (bound, n) in zip(bounds, counts) {
            cumulative += n
            out += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(count)\n\(name)_sum{\(labels)} \(sumSeconds)\n\(name)_count{\(labels)} \(count)\n"
        return out
    }
}
