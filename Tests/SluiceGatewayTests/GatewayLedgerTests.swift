import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
@testable import SluiceGateway
import SluiceLedger
import Synchronization
import Testing

/// The gateway's cost ledger, cost accounting, SLO verdicts, tenants from the store and client cancellation, end to end
/// over HTTP.
struct GatewayLedgerTests {
    static func store() throws -> SQLiteLedgerStore {
        try SQLiteLedgerStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("gw-ledger-\(UUID().uuidString).db").path)
    }

    @Test func everyAnswerIsInTheLedgerWithTokensCostAndSLO() async throws {
        let store = try Self.store()
        try await GatewayTests.withGateway(upstreams: [("usage-a", false)], configure: { c in
            c.upstreams[0].pricePerHourUSD = 3600  // $1 per GPU-second: cost equals GPU-seconds
        }, store: store) { base in
            let ok = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-deadline-ms", "60000")])
            #expect(ok.status == 200)
            let id = try #require(ok.headers["x-request-id"])
            let second = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-ttft-ms", "0.001")])
            #expect(second.headers["x-sluice-predicted-cost-usd"] != nil, "a prediction once the upstream has answered once")
            let stream = try await GatewayTests.post(
                base + "/v1/chat/completions", #"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(stream.status == 200)
            let refused = try await GatewayTests.post(base + "/v1/chat/completions", #"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#)
            #expect(refused.status == 404)
            let entries = try await store.recentEntries(limit: 10)
            #expect(entries.count == 3, "a refusal before any upstream is counted in metrics, not written")
            let first = try #require(entries.first { $0.requestID == id })
            #expect(first.upstream == "usage-a" && first.status == 200 && first.promptTokens == 3 && first.completionTokens == 2)
            #expect(first.gpuSeconds > 0 && abs(first.costUSD - first.gpuSeconds) < 1e-9 && first.sloMet == true)
            #expect(first.e2eSeconds >= first.queueSeconds && first.predictedCostUSD == nil)
            let late = try #require(entries.first { $0.requestID == second.headers["x-request-id"] })
            #expect(late.sloMet == false, "a 1 µs TTFT target cannot be met")
            #expect(late.predictedCostUSD != nil)
            let streamed = try #require(entries.first { $0.stream })
            #expect(streamed.completionTokens == 2, "two content events, [DONE] not counted")
            #expect(streamed.ttftSeconds != nil && streamed.ttftSeconds! <= streamed.e2eSeconds)
            #expect(!entries.contains { $0.status == 404 })
            let report = try await store.usage(fromUnixSeconds: 0, toUnixSeconds: Date().timeIntervalSince1970 + 1)
            #expect(report.byUpstream.first { $0.key == "usage-a" }?.requests == 3)
            #expect(report.byUpstream.first { $0.key == "(gateway)" } == nil)
        }
    }

    @Test func tokenPricedUpstreamsAreChargedPerToken() async throws {
        let store = try Self.store()
        try await GatewayTests.withGateway(upstreams: [("usage-api", false)], configure: { c in
            c.upstreams[0].inputPricePerMillionUSD = 1_000_000  // $1 per prompt token
            c.upstreams[0].outputPricePerMillionUSD = 2_000_000  // $2 per output token
        }, store: store) { base in
            _ = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat)
            let entry = try #require(try await store.recentEntries(limit: 1).first)
            #expect(entry.costUSD == 3 * 1 + 2 * 2)
        }
    }

    @Test func tenantsAddedToTheStoreAreAcceptedAndBudgetsSurviveARestart() async throws {
        let store = try Self.store()
        try await store.upsertTenant(TenantRecord(name: "team", keySHA256: APIKeys.sha256Hex("store-key-1"), budget: "tokens=12,period=\(GatewayTests.periodLongerThanAnyTest)"))
        let auth = [("authorization", "Bearer store-key-1")]
        try await GatewayTests.withGateway(upstreams: [("usage-a", false)], store: store) { base in
            #expect(try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat).status == 401)
            // Reserves 1 + 8 = 9 tokens, settled to the reported 5: then 5 + 9 > 12 is refused.
            #expect(try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: auth).status == 200)
            let over = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: auth)
            #expect(over.status == 429 && over.body.contains("budget_exceeded"))
        }
        // A new gateway over the same ledger restores the period's spending: still over budget.
        try await GatewayTests.withGateway(upstreams: [("usage-a", false)], store: store) { base in
            let over = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: auth)
            #expect(over.status == 429)
        }
        let entries = try await store.recentEntries(limit: 10)
        // The answered request is written; the two budget refusals are counted in metrics, not written.
        #expect(entries.filter { $0.tenant == "team" }.count == 1)
    }

    @Test func sloClassesSupplyTargetsAndUnknownClassesAreRefused() async throws {
        try await GatewayTests.withGateway(upstreams: [("a", false)], configure: { c in
            c.sloClasses = ["chat": .init(ttftMs: 500), "batch": .init(deadlineMs: 60_000)]
        }) { base in
            let chat = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-slo-class", "chat")])
            #expect(chat.headers["x-sluice-slo-kind"] == "interactive")
            let batch = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-slo-class", "batch")])
            #expect(batch.headers["x-sluice-slo-kind"] == "e2e")
            let unknown = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-slo-class", "gold")])
            #expect(unknown.status == 400 && unknown.body.contains("batch, chat"))
        }
    }

    @Test func aClientThatDisconnectsCancelsItsUpstreamRequest() async throws {
        let store = try Self.store()
        try await GatewayTests.withGateway(upstreams: [("endless-1", false), ("gated-1", false)], router: "round-robin", store: store) { base in
            // Streaming: read a few chunks, then go away.
            let streaming = Task {
                var request = HTTPClientRequest(url: base + "/v1/chat/completions")
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: #"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                var chunks = 0
                for try await _ in response.body {
                    chunks += 1
                    if chunks == 3 { break }
                }
                return chunks
            }
            #expect(try await streaming.value == 3)
            // Non-streaming: the gated upstream holds its answer (its gate never opens); the client gives up once it is in flight there.
            let impatient = Task { try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_upstream_in_flight_requests{upstream="gated-1"} 1"#)
            impatient.cancel()
            _ = try? await impatient.value
            // Each wait has its own generous deadline: on a loaded machine the chain of cancellations takes its time.
            var deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline && !UpstreamObservations.shared.contains("endless-1 cancelled") {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(UpstreamObservations.shared.contains("endless-1 cancelled"), "the upstream stream was cut when the client left")
            deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, Set(try await store.recentEntries(limit: 5).compactMap(\.upstream)).count < 2 { try await Task.sleep(for: .milliseconds(50)) }
            let entries = try await store.recentEntries(limit: 5)
            // (AHC may resend a request whose connection it closed itself: each copy must be cancelled alike.)
            #expect(Set(entries.compactMap(\.upstream)) == ["endless-1", "gated-1"])
            #expect(entries.allSatisfy { $0.errorCode == "client_disconnected" && $0.status == 499 }, "\(entries.map { ($0.upstream, $0.status, $0.errorCode, $0.e2eSeconds) })")
            // Had the gateway not noticed, the held answer would have been recorded as a 200 once the upstream gave up holding it.
        }
    }

    @Test func streamScannerCountsEventsAndReadsUsageAcrossChunkBoundaries() {
        let text = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\": 17,\"completion_tokens\":42}}\n\ndata: [DONE]\n\n"
        for split in [1, 3, 7, 1000] {
            var scanner = StreamUsageScanner()
            let bytes = Array(text.utf8)
            var i = 0
            while i < bytes.count {
                scanner.scan(ByteBuffer(bytes: bytes[i..<min(bytes.count, i + split)]))
                i += split
            }
            #expect(scanner.events == 3 && scanner.completionTokens == 42 && scanner.reportedPromptTokens == 17, "split \(split)")
        }
        var plain = StreamUsageScanner()
        plain.scan(ByteBuffer(string: "data: {\"x\":\"data: inside\"}\n\ndata: {}\n\ndata: [DONE]\n\n"))
        #expect(plain.completionTokens == 2, "only line-initial data: counts")
    }

    @Test func engineLoadSignalsAreRead() {
        let vllm = """
            # HELP vllm:num_requests_running Number of requests running
            vllm:num_requests_running{model_name="m"} 3.0
            vllm:num_requests_waiting{model_name="m"} 2
            vllm:kv_cache_usage_perc{model_name="m"} 0.25
            vllm:num_requests_running{model_name="other"} 1
            """
        #expect(EngineLoad.fromPrometheus(vllm, engine: .vllm) == EngineLoad(running: 4, waiting: 2, kvUsage: 0.25))
        let sglang = "sglang:num_running_reqs 5\nsglang:num_queue_reqs 1 1712345678\nsglang:token_usage 0.5\n"
        #expect(EngineLoad.fromPrometheus(sglang, engine: .sglang) == EngineLoad(running: 5, waiting: 1, kvUsage: 0.5))
        let slots = Data(#"[{"id":0,"is_processing":true},{"id":1,"is_processing":false},{"id":2,"state":1}]"#.utf8)
        #expect(EngineLoad.fromLlamaSlots(slots) == EngineLoad(running: 2, waiting: nil, kvUsage: nil))
        #expect(EngineLoad.fromLlamaSlots(Data("nope".utf8)) == nil)
    }
}

/// The simulator's policies that predict latency (`cost-aware` routing, `sa-slo` ordering) run in the gateway over each
/// upstream's catalog step-time model.
struct GatewayPolicyTests {
    @Test func costAwareSendsLenientRequestsToTheCheaperUpstream() async throws {
        try await GatewayTests.withGateway(upstreams: [("fast", false), ("cheap", false)], router: "cost-aware", configure: { c in
            c.upstreams[0].gpu = "h100-sxm"
            c.upstreams[0].pricePerHourUSD = 2.99
            c.upstreams[1].gpu = "l40s"
            c.upstreams[1].pricePerHourUSD = 0.30  // at $0.99 the H100's 3.9x decode speed makes it the cheaper per token
            for i in c.upstreams.indices { c.upstreams[i].model = "llama-3.1-8b" }
        }) { base in
            let chat = #"{"model":"llama-3.1-8b","messages":[{"role":"user","content":"hi"}],"max_tokens":8}"#
            var used: [String] = []
            for _ in 0..<4 {
                let r = try await GatewayTests.post(base + "/v1/chat/completions", chat, headers: [("x-sluice-deadline-ms", "60000")])
                #expect(r.status == 200)
                used.append(r.headers["x-sluice-upstream"] ?? "?")
            }
            #expect(Set(used) == ["cheap"], "a 60 s deadline is met by the L40S, cheaper per token at this price: \(used)")
        }
    }

    @Test func saSLOOrdersTheQueueAndAnswersEveryRequest() async throws {
        try await GatewayTests.withGateway(upstreams: [("slow", false)], configure: { c in
            c.ordering = "sa-slo"
            c.upstreams[0].gpu = "h100-sxm"
            c.upstreams[0].catalogModel = "llama-3.1-8b"
            c.upstreams[0].maxConcurrency = 1
            c.maxQueueSeconds = 20
        }) { base in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(20 * i))
                        let deadline = [("x-sluice-deadline-ms", "\(60_000 - 10_000 * i)")]
                        return try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: deadline).status
                    }
                }
                var all: [Int] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses == [200, 200, 200, 200, 200], "no request is lost by the reordering")
        }
    }

    @Test func predictingPoliciesNeedTheUpstreamsGPU() throws {
        var config = GatewayConfig(router: "cost-aware", upstreams: [.init(name: "a", url: "http://127.0.0.1:1", model: "llama-3.1-8b")])
        #expect(throws: SluiceError.self) { try config.validate(file: "gw.yaml") }
        config.upstreams[0].gpu = "b200-ultra"
        do {
            try config.validate(file: "gw.yaml")
            Issue.record("accepted an unknown GPU")
        } catch {
            #expect(error.description.contains("upstreams[0].gpu") && error.description.contains("h100-sxm"))
        }
        config.upstreams[0].gpu = "h100-sxm"
        config.upstreams[0].model = "my-finetune"
        #expect(throws: SluiceError.self) { try config.validate(file: "gw.yaml") }
        config.upstreams[0].catalogModel = "llama-3.1-8b"
        try config.validate(file: "gw.yaml")
    }
}

/// Overload control: priority bands with their own limits, served strictly in order; SLO admission.
struct GatewayOverloadTests {
    /// Waits until the gateway's metrics show `line` (state, not timing: the test holds on a loaded machine).
    static func waitForMetric(_ base: String, _ line: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let m = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(5))
            if String(buffer: try await m.body.collect(upTo: 1 << 20)).contains(line) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("metrics never showed \(line)")
    }

    @Test func highPriorityGoesFirstAndLowShedsFirst() async throws {
        // The upstream holds every answer until the test opens its gate, so the queue's state is set up by the test,
        // not by a timer a loaded machine can outrun; the order is the order requests reach the upstream.
        let upstream = "gated-band"
        try await GatewayTests.withGateway(upstreams: [(upstream, false)], configure: { c in
            c.upstreams[0].maxConcurrency = 1
            c.queueBands = [.low: .init(maxLength: 0)]
            c.maxQueueSeconds = GatewayTests.heldRequestSeconds
        }) { base in
            func send(_ i: Int, priority: String) -> Task<Int, any Error> {
                Task {
                    let body = #"{"model":"tiny","user":"r\#(i)","messages":[{"role":"user","content":"hi"}],"max_tokens":8}"#
                    return try await GatewayTests.post(base + "/v1/chat/completions", body, headers: [("x-sluice-priority", priority)],
                                                       timeout: GatewayTests.heldRequestTimeout).status
                }
            }
            // 0 holds the only slot; 1 (normal) waits; then 2 (high) waits; low is refused.
            let first = send(0, priority: "0")
            try await Self.waitForMetric(base, #"sluice_upstream_in_flight_requests{upstream="\#(upstream)"} 1"#)
            let second = send(1, priority: "0")
            try await Self.waitForMetric(base, #"sluice_queue_waiting_requests{band="normal"} 1"#)
            let third = send(2, priority: "5")
            try await Self.waitForMetric(base, #"sluice_queue_waiting_requests{band="high"} 1"#)
            let low = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-priority", "-1")])
            #expect(low.status == 503 && low.body.contains("queue_full") && low.body.contains("low-priority"))
            UpstreamObservations.shared.open(gate: upstream)
            for t in [first, second, third] { #expect(try await t.value == 200) }
            let arrivals = UpstreamObservations.shared.lines(startingWith: upstream + " got ")
            #expect(arrivals == ["r0", "r2", "r1"].map { "\(upstream) got \($0)" },
                    "the high-priority request overtakes the waiting normal one")
        }
    }

    @Test func sloAdmissionRefusesWhatNoUpstreamCanMeet() async throws {
        try await GatewayTests.withGateway(upstreams: [("a", false)], configure: { c in
            c.admission = "slo"
            c.upstreams[0].gpu = "h100-sxm"
            c.upstreams[0].catalogModel = "llama-3.1-8b"
        }) { base in
            let impossible = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-ttft-ms", "0.01")])
            #expect(impossible.status == 503 && impossible.body.contains("slo_unattainable") && impossible.headers["retry-after"] == "1")
            let fine = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat, headers: [("x-sluice-ttft-ms", "5000")])
            #expect(fine.status == 200)
            let untargeted = try await GatewayTests.post(base + "/v1/chat/completions", GatewayTests.chat)
            #expect(untargeted.status == 200)
        }
    }
}
