import Foundation

/// What an engine says about its own load (PEERS.md §3.1, the Gateway API Inference Extension's model-server
/// protocol): requests running and queued, and KV-cache use. Any part may be missing.
struct EngineLoad: Sendable, Hashable {
    /// Requests the engine is running.
    var running: Int?
    /// Requests queued inside the engine.
    var waiting: Int?
    /// KV cache in use, 0...1.
    var kvUsage: Double?

    /// Requests the engine holds (running plus queued), when it said.
    var outstanding: Int? {
        guard running != nil || waiting != nil else { return nil }
        return (running ?? 0) + (waiting ?? 0)
    }

    /// Metric names per engine: running, waiting, KV use (first present wins; vLLM V1 renamed the KV gauge).
    static let metricNames: [GatewayConfig.EngineKind: (running: [String], waiting: [String], kv: [String])] = [
        .vllm: (["vllm:num_requests_running"], ["vllm:num_requests_waiting"], ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"]),
        .sglang: (["sglang:num_running_reqs"], ["sglang:num_queue_reqs"], ["sglang:token_usage"]),
        .llamacpp: (["llamacpp:requests_processing"], ["llamacpp:requests_deferred"], []),
    ]

    /// Reads a Prometheus text exposition: each metric summed over its label sets (vLLM labels by model).
    static func fromPrometheus(_ text: String, engine: GatewayConfig.EngineKind) -> EngineLoad {
        guard let names = metricNames[engine] else { return EngineLoad() }
        let wanted = Set(names.running + names.waiting + names.kv)
        var sums: [String: Double] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
            let name = String(line[..<nameEnd])
            guard wanted.contains(name) else { continue }
            // The value follows the labels' closing brace (or the name) and a space; a timestamp may follow it.
            let afterLabels = line[nameEnd...].lastIndex(of: "}").map { line.index(after: $0) } ?? nameEnd
            let fields = line[afterLabels...].split(separator: " ")
            guard let first = fields.first, let value = Double(first), value.isFinite else { continue }
            sums[name, default: 0] += value
        }
        func pick(_ candidates: [String]) -> Double? { candidates.lazy.compactMap { sums[$0] }.first }
        return EngineLoad(running: pick(names.running).map { Int($0) }, waiting: pick(names.waiting).map { Int($0) }, kvUsage: pick(names.kv))
    }

    /// Reads llama-server's `GET /slots`: an array of slots, busy when `is_processing` is true (or `state` is not 0).
    static func fromLlamaSlots(_ data: Data) -> EngineLoad? {
        guard let slots = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return nil }
        let busy = slots.filter { slot in
            if let processing = slot["is_processing"] as? Bool { return processing }
            if let state = slot["state"] as? Int { return state != 0 }
            return false
        }.count
        return EngineLoad(running: busy, waiting: nil, kvUsage: nil)
    }
}
