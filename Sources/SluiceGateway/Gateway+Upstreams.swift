import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Logging

extension Gateway {
    /// Seconds a health or load check may take.
    static let checkTimeoutSeconds = 2.0
    /// Consecutive failed checks that mark an upstream down (a failed request marks it down at once).
    static let failedChecksToMarkDown = 3

    /// Checks every upstream every `loadPollSeconds` until cancelled: its health (marked down on a failed check, up
    /// again on a good one) and its engine's own load signal (vLLM/SGLang `/metrics`, llama.cpp `/slots`).
    func pollUpstreams() async {
        var slotsUnsupported = Set<Int>()
        var failures = Array(repeating: 0, count: config.upstreams.count)
        while !Task.isCancelled {
            await withTaskGroup(of: (Int, EngineLoad?, Bool, Bool).self) { group in
                for (i, u) in config.upstreams.enumerated() {
                    let useSlots = u.engine == .llamacpp && !slotsUnsupported.contains(i)
                    group.addTask { await check(u, index: i, useSlots: useSlots) }
                }
                for await (i, load, answered, slotsMissing) in group {
                    if slotsMissing { slotsUnsupported.insert(i) }
                    failures[i] = answered ? 0 : failures[i] + 1
                    let wasUp = await pool.isHealthy(i)
                    let up = answered || (wasUp && failures[i] < Self.failedChecksToMarkDown)
                    if wasUp != up {
                        logger.info("upstream \(config.upstreams[i].name) is \(up ? "up" : "down")")
                    }
                    await pool.setHealthy(i, up)
                    await pool.setEngineLoad(i, load)
                    metrics.upstreamHealthy(upstream: config.upstreams[i].name, up: up)
                }
            }
            try? await Task.sleep(for: .seconds(config.loadPollSeconds))
        }
    }

    /// One check. - Returns: the index, the load read (if any), whether the upstream answered, and whether it has no
    /// `/slots` (so later checks of a llama.cpp upstream use `/v1/models`).
    private func check(_ u: GatewayConfig.Upstream, index: Int, useSlots: Bool) async -> (Int, EngineLoad?, Bool, Bool) {
        let path: String
        switch u.engine {
        case .vllm, .sglang: path = "/metrics"
        case .llamacpp: path = useSlots ? "/slots" : "/v1/models"
        case .openai: path = "/v1/models"
        }
        do {
            var request = HTTPClientRequest(url: u.url + path)
            if let key = u.apiKey { request.headers.add(name: "authorization", value: "Bearer \(key)") }
            let response = try await client.execute(request, timeout: .milliseconds(Int64(Self.checkTimeoutSeconds * 1000)))
            let body = try await response.body.collect(upTo: 4 << 20)
            let code = Int(response.status.code)
            if u.engine == .llamacpp && useSlots && (code == 404 || code == 501) { return (index, nil, true, true) }
            guard code < 500 else { return (index, nil, false, false) }
            switch u.engine {
            case .vllm, .sglang: return (index, EngineLoad.fromPrometheus(String(buffer: body), engine: u.engine), true, false)
            case .llamacpp where useSlots: return (index, EngineLoad.fromLlamaSlots(Data(body.readableBytesView)), true, false)
            default: return (index, nil, true, false)
            }
        } catch {
            return (index, nil, false, false)
        }
    }
}
