import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceGateway
import SluiceLedger
import Synchronization
import Testing

/// What fake upstreams saw (shared across tests: entries carry the upstream's name).
final class UpstreamObservations: Sendable {
    static let shared = UpstreamObservations()
    private let lines = Mutex<[String]>([])
    func record(_ line: String) { lines.withLock { $0.append(line) } }
    func contains(_ line: String) -> Bool { lines.withLock { $0.contains(line) } }
    func lines(startingWith prefix: String) -> [String] { lines.withLock { $0.filter { $0.hasPrefix(prefix) } } }

    /// Gates for `gated…` upstreams: such an upstream holds each answer until its gate opens (state, not a timer).
    private let openGates = Mutex<Set<String>>([])
    func open(gate name: String) { _ = openGates.withLock { $0.insert(name) } }
    func isOpen(gate name: String) -> Bool { openGates.withLock { $0.contains(name) } }
}

/// The gateway end to end over HTTP, against fake OpenAI-compatible upstreams served by Hummingbird.
struct GatewayTests {
    /// Runs `body` with the gateway and its upstreams listening; hands it the gateway's base URL.
    static func withGateway(upstreams specs: [(name: String, failing: Bool)], router: String = "round-robin",
                            configure: @Sendable (inout GatewayConfig) -> Void = { _ in },
                            store: (any LedgerStore)? = nil,
                            _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var ports: [Int] = []
            for spec in specs {
                let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
                let app = upstreamApp(name: spec.name, failing: spec.failing) { port in continuation.yield(port) }
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                for await p in stream { ports.append(p); break }
            }
            let config = GatewayConfig(
                listen: .init(host: "127.0.0.1", port: 0), router: router,
                upstreams: zip(specs, ports).map { spec, port in
                    .init(name: spec.name, url: "http://127.0.0.1:\(port)", model: "tiny", pricePerHourUSD: 1, maxConcurrency: 8)
                })
            var configured = config
            // One health check at start-up, none during a test: a loaded machine must not mark a fake upstream down.
            configured.loadPollSeconds = 3600
            // With no health checks to bring an upstream back, a connection that a loaded machine (the whole suite in
            // parallel on 2 cores) is slow to set up must not mark a fake upstream down for the rest of the test.
            // Refused connections still fail at once.
            configured.limits.upstreamConnectTimeoutSeconds = Self.testConnectTimeoutSeconds
            configure(&configured)
            // The gateway's own upstream client (fails fast on refused connections, times out silent upstreams).
            let client = Gateway.upstreamClient(for: configured)
            let gateway = try Gateway(config: configured, client: client, store: store)
            let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
            group.addTask { try await gateway.run(handlingSignals: false) { continuation.yield($0) } }
            var gatewayPort = 0
            for await p in stream { gatewayPort = p; break }
            // Before cancelling: let the servers take every connection they accepted (Hummingbird drops an accepted but
            // unconsumed connection on cancellation with a NIO precondition failure, which a loaded machine can hit).
            do {
                try await body("http://127.0.0.1:\(gatewayPort)")
                try? await Task.sleep(for: .milliseconds(Self.settleBeforeShutdownMilliseconds))
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                try? await client.shutdown()
                throw error
            }
            group.cancelAll()
            try? await group.waitForAll()
            try? await client.shutdown()
        }
    }

    /// A fake engine: answers chat completions (JSON, or SSE in three chunks) naming itself; `failing` answers 500.
    static func upstreamApp(name: String, failing: Bool, onRunning: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ -> Response in
            if failing { return Response(status: .internalServerError) }
            if name.hasPrefix("oom") {
                let error = #"{"error":{"message":"CUDA out of memory","type":"server_error","code":"oom"}}"#
                return Response(status: .internalServerError, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: error)))
            }
            if name.hasPrefix("stall") {
                // Sends its head and one chunk, then goes silent.
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"))
                    try await Task.sleep(for: .seconds(60))
                    try await writer.finish(nil)
                })
            }
            if name.hasPrefix("slow") { try await Task.sleep(for: .milliseconds(400)) }
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            if name.hasPrefix("endless") {
                // Streams until the gateway goes away; records when its writes start failing (the cancellation).
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    do {
                        while true {
                            try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"))
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    } catch {
                        UpstreamObservations.shared.record("\(name) cancelled")
                    }
                })
            }
            if name.hasPrefix("flood") {
                // Streams floodChunks × 16 KB as fast as the gateway takes them (more than the socket buffers between
                // a gateway and a client that does not read), then a small chunk every 100 ms, without hogging the
                // test process; records when its writes start failing.
                let chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"" + String(repeating: "x", count: 16_000) + "\"}}]}\n\n"
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    do {
                        for _ in 0..<Self.floodChunks { try await writer.write(ByteBuffer(string: chunk)) }
                        while true {
                            try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"))
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    } catch {
                        UpstreamObservations.shared.record("\(name) cancelled")
                    }
                })
            }
            if name.hasPrefix("gated") {
                // Records the order requests reach it (by their `user` field), then holds each until the test opens its gate.
                UpstreamObservations.shared.record("\(name) got \(object["user"] as? String ?? "?")")
                let deadline = ContinuousClock.now + .seconds(60)
                while !UpstreamObservations.shared.isOpen(gate: name) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            if object["stream"] as? Bool == true {
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    for token in ["he", "llo", "[DONE]"] {
                        let line = token == "[DONE]" ? "data: [DONE]\n\n" : "data: {\"choices\":[{\"delta\":{\"content\":\"\(token)\"}}],\"by\":\"\(name)\"}\n\n"
                        try await writer.write(ByteBuffer(string: line))
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await writer.finish(nil)
                })
            }
            if name.hasPrefix("metered") {
                // Reports the prompt's token ids as its prompt tokens and generates the `out=N` its `user` field asks for.
                let prompt = (object["prompt"] as? [Any])?.count ?? 0
                let out = Int((object["user"] as? String ?? "").replacingOccurrences(of: "out=", with: "")) ?? 0
                let answer = "{\"object\":\"text_completion\",\"by\":\"\(name)\",\"choices\":[{\"text\":\"x\"}],\"usage\":{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(out),\"total_tokens\":\(prompt + out)}}"
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
            }
            var usage = name.hasPrefix("usage") ? ",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}" : ""
            if name.hasPrefix("huge") { usage = ",\"usage\":{\"prompt_tokens\":18446744073709551615,\"completion_tokens\":18446744073709551615}" }
            // "echo" upstreams return the body they received, to show what the gateway forwarded.
            let received = name.hasPrefix("echo") ? ",\"received\":" + String(buffer: body) : ""
            let answer = "{\"object\":\"chat.completion\",\"by\":\"\(name)\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}]\(usage)\(received)}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
        }
        router.post("/v1/chat/completions", use: handler)
        router.post("/v1/completions", use: handler)
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { onRunning($0.localAddress?.port ?? 0) })
    }

    /// 16 KB chunks the `flood` upstream sends at full speed: 4 MB, more than the loopback socket buffers between a
    /// gateway and a client that does not read, and little enough not to starve the tests running beside it.
    static let floodChunks = 256

    /// Upstream connect timeout of the test gateways (the default is 2 s).
    static let testConnectTimeoutSeconds = 10.0

    /// Time the servers get to take up accepted connections before a test's gateway is cancelled.
    static let settleBeforeShutdownMilliseconds = 300

    /// How long a test lets a request be held behind a gate (queue limit and client timeout alike).
    static let heldRequestSeconds = 120.0
    /// A budget period no test outlives (periods are counted from the Unix epoch, so an hourly one can turn mid-test).
    static let periodLongerThanAnyTest = 1e10
    /// The client timeout for a request held behind a gate.
    static let heldRequestTimeout = TimeAmount.seconds(Int64(heldRequestSeconds))

    static func post(_ url: String, _ json: String, headers: [(String, String)] = [],
                     timeout: TimeAmount = .seconds(30)) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 22)
        var h: [String: String] = [:]
        for field in response.headers { h[field.name.lowercased()] = field.value }
        return (Int(response.status.code), h, String(buffer: body))
    }

    static let chat = #"{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":8}"#

    @Test func proxiesJSONAndStreamsAndNamesTheUpstream() async throws {
        try await Self.withGateway(upstreams: [("a", false), ("b", false)]) { base in
            var seen = Set<String>()
            for _ in 0..<4 {
                let r = try await Self.post(base + "/v1/chat/completions", Self.chat)
                #expect(r.status == 200 && r.body.contains("hello"))
                let upstream = try #require(r.headers["x-sluice-upstream"])
                #expect(r.body.contains("\"by\":\"\(upstream)\""))
                seen.insert(upstream)
                #expect(r.headers["x-sluice-queue-ms"] != nil)
            }
            #expect(seen == ["a", "b"], "round-robin uses both")
            let m = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(5))
            let text = String(buffer: try await m.body.collect(upTo: 1 << 20))
            #expect(text.contains("sluice_requests_total{upstream=\"a\",code=\"200\",tenant=\"\"} 2"), "\(text.prefix(600))")
            let s = try await Self.post(base + "/v1/chat/completions", #"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(s.status == 200 && s.headers["content-type"] == "text/event-stream")
            #expect(s.body.contains("\"he\"") && s.body.contains("\"llo\"") && s.body.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test func failsOverAnUpstreamThatErrsBeforeAnswering() async throws {
        try await Self.withGateway(upstreams: [("broken", true), ("ok", false)]) { base in
            for _ in 0..<3 {
                let r = try await Self.post(base + "/v1/chat/completions", Self.chat)
                #expect(r.status == 200 && r.headers["x-sluice-upstream"] == "ok")
            }
        }
    }

    @Test func badInputGetsOpenAIErrors() async throws {
        try await Self.withGateway(upstreams: [("a", false)]) { base in
            let cases: [(String, Int, String)] = [
                ("not json", 400, "invalid_json"),
                (#"{"messages":[]}"#, 400, "invalid_model"),
                (#"{"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":-3}"#, 400, "invalid_max_tokens"),
                (#"{"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":"many"}"#, 400, "invalid_max_tokens"),
                (#"{"model":"tiny","messages":"hello"}"#, 400, "invalid_messages"),
                (#"{"model":"tiny","stream":"yes","messages":[{"role":"user","content":"x"}]}"#, 400, "invalid_stream"),
                (#"{"model":"huge-405b","messages":[{"role":"user","content":"x"}]}"#, 404, "model_not_found"),
                ("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + String(repeating: "x", count: 2 << 20) + "\"}]}", 413, "body_too_large"),
            ]
            let badHeader = try await Self.post(base + "/v1/chat/completions", Self.chat, headers: [("x-llm-d-slo-ttft-ms", "soon")])
            #expect(badHeader.status == 400 && badHeader.body.contains("x-llm-d-slo-ttft-ms") && badHeader.body.contains("invalid_header"))
            let interactive = try await Self.post(
                base + "/v1/chat/completions", Self.chat, headers: [("x-sluice-ttft-ms", "500"), ("x-sluice-slo-class", "chat")])
            #expect(interactive.status == 200 && interactive.headers["x-sluice-slo-kind"] == "interactive" && interactive.headers["x-sluice-slo-class"] == "chat")
            let batch = try await Self.post(base + "/v1/chat/completions", Self.chat, headers: [("x-sluice-deadline-ms", "60000")])
            #expect(batch.headers["x-sluice-slo-kind"] == "e2e")
            for (body, status, code) in cases {
                let r = try await Self.post(base + "/v1/chat/completions", body)
                #expect(r.status == status, "\(code): got \(r.status) \(r.body.prefix(200))")
                let object = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
                let error = object?["error"] as? [String: String]
                #expect(error?["code"] == code && error?["message"]?.isEmpty == false)
            }
            let metrics = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(5))
            let exposition = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
            #expect(exposition.contains("sluice_refused_total{code=\"invalid_json\",tenant=\"\"} 1"), "\(exposition.prefix(400))")
            #expect(exposition.contains("sluice_refused_total{code=\"model_not_found\",tenant=\"\"} 1"))
            let models = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/v1/models"), timeout: .seconds(5))
            let text = String(buffer: try await models.body.collect(upTo: 1 << 16))
            #expect(text.contains("\"id\":\"tiny\""))
        }
    }

    @Test func configErrorsNameTheField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cases = [
            ("upstreams: []\n", "upstreams"),
            ("upstreams:\n  - {name: a, url: 'ftp://x', model: m}\n", "upstreams[0].url"),
            ("upstreams:\n  - {name: a, url: 'http://x:1', model: m}\n  - {name: a, url: 'http://y:1', model: m}\n", "upstreams[1].name"),
            ("router: fastest\nupstreams:\n  - {name: a, url: 'http://x:1', model: m}\n", "router"),
            ("upstreams:\n  - {name: a, model: m}\n", "url"),
        ]
        for (i, (yaml, field)) in cases.enumerated() {
            let path = dir.appendingPathComponent("c\(i).yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try GatewayConfig.load(path: path)
                Issue.record("accepted \(yaml)")
            } catch {
                #expect(error.description.contains(field), "\(error.description)")
            }
        }
    }

    @Test func overloadIsQueuedThenRefusedWithRetryAfter() async throws {
        // Gated upstreams hold their answers until the test opens the gate: the queue's state is set by the test.
        try await Self.withGateway(upstreams: [("gated-overload", false)], configure: { c in
            c.upstreams[0].maxConcurrency = 1
            c.maxQueueLength = 1
            c.maxQueueSeconds = Self.heldRequestSeconds
        }) { base in
            // One runs, one waits for the slot, the third finds the queue full: every request gets an answer.
            let held = Self.heldRequestTimeout
            let running = Task { try await Self.post(base + "/v1/chat/completions", Self.chat, timeout: held) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_upstream_in_flight_requests{upstream="gated-overload"} 1"#)
            let waiting = Task { try await Self.post(base + "/v1/chat/completions", Self.chat, timeout: held) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_queue_waiting_requests{band="normal"} 1"#)
            let refused = try await Self.post(base + "/v1/chat/completions", Self.chat)
            #expect(refused.status == 503 && refused.body.contains("queue_full") && refused.headers["retry-after"] == "1")
            UpstreamObservations.shared.open(gate: "gated-overload")
            #expect(try await running.value.status == 200)
            #expect(try await waiting.value.status == 200)
        }
        try await Self.withGateway(upstreams: [("gated-timeout", false)], configure: { c in
            c.upstreams[0].maxConcurrency = 1
            c.maxQueueSeconds = 0.1
        }) { base in
            let first = Task { try await Self.post(base + "/v1/chat/completions", Self.chat, timeout: Self.heldRequestTimeout) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_upstream_in_flight_requests{upstream="gated-timeout"} 1"#)
            let second = try await Self.post(base + "/v1/chat/completions", Self.chat)
            #expect(second.status == 503 && second.body.contains("queue_timeout"))
            UpstreamObservations.shared.open(gate: "gated-timeout")
            #expect(try await first.value.status == 200)
        }
    }

    @Test func apiKeysAndBudgets() async throws {
        #expect(APIKeys.sha256Hex("secret") == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b")
        try await Self.withGateway(upstreams: [("a", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(
                name: "team", keySHA256: APIKeys.sha256Hex("secret"), budget: TenantBudget(tokensPerPeriod: 40, periodSeconds: Self.periodLongerThanAnyTest))]
        }) { base in
            let anonymous = try await Self.post(base + "/v1/chat/completions", Self.chat)
            #expect(anonymous.status == 401 && anonymous.body.contains("invalid_api_key"))
            let wrong = try await Self.post(base + "/v1/chat/completions", Self.chat, headers: [("authorization", "Bearer guess")])
            #expect(wrong.status == 401)
            // Each request reserves prompt (1) + max_tokens (8) = 9 tokens; the fake engine reports no usage, so the
            // reservation stays charged: 4 fit in 40, the 5th does not.
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<5 {
                let r = try await Self.post(base + "/v1/chat/completions", Self.chat, headers: [("authorization", "Bearer secret")])
                statuses.append(r.status)
                if r.status == 429 {
                    retryAfter = r.headers["retry-after"]
                    #expect(r.body.contains("budget_exceeded"))
                }
            }
            #expect(statuses == [200, 200, 200, 200, 429])
            #expect((retryAfter.flatMap(Int.init) ?? 0) > 0)
        }
        // A request rate: 2 per minute, the third at once is refused until the bucket refills.
        try await Self.withGateway(upstreams: [("a", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(name: "paced", keySHA256: APIKeys.sha256Hex("paced-key"), requestsPerMinute: 2)]
        }) { base in
            let auth = [("authorization", "Bearer paced-key")]
            var statuses: [Int] = []
            var third: (status: Int, headers: [String: String], body: String)?
            for _ in 0..<3 {
                let r = try await Self.post(base + "/v1/chat/completions", Self.chat, headers: auth)
                statuses.append(r.status)
                third = r
            }
            #expect(statuses == [200, 200, 429])
            #expect(third?.body.contains("rate_limited") == true && (third?.headers["retry-after"].flatMap(Int.init) ?? 0) >= 1)
        }
    }
}
