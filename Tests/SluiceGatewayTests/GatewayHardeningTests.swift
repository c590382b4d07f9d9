import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceGateway
import SluiceLedger
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a careless or hostile client found (issue 15), each as a test: JSON types, output limits the upstream honours,
/// token-id prompts, OpenAI-shaped errors everywhere, bounded strings, upstream errors and silences, huge token
/// counts, keys before bodies, slow heads, connection caps, and one SQLite ledger per gateway.
struct GatewayHardeningTests {
    typealias G = GatewayTests

    static func errorCode(_ body: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        var h: [String: String] = [:]
        for field in response.headers { h[field.name.lowercased()] = field.value }
        return (Int(response.status.code), h, String(buffer: body))
    }

    @Test func integersAndBooleansAreCheckedAsJSONTypes() async throws {
        try await G.withGateway(upstreams: [("a", false)]) { base in
            let ok = [
                #"{"model":"tiny","max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#,
                #"{"model":"tiny","max_completion_tokens":1,"messages":[{"role":"user","content":"x"}]}"#,
                #"{"model":"tiny","stream":false,"max_tokens":null,"messages":[{"role":"user","content":"x"}]}"#,
            ]
            for body in ok {
                let r = try await G.post(base + "/v1/chat/completions", body)
                #expect(r.status == 200, "\(body): \(r.body)")
            }
            let bad: [(String, String)] = [
                (#"{"model":"tiny","stream":1,"messages":[{"role":"user","content":"x"}]}"#, "invalid_stream"),
                (#"{"model":"tiny","max_tokens":true,"messages":[{"role":"user","content":"x"}]}"#, "invalid_max_tokens"),
                (#"{"model":"tiny","max_tokens":1.5,"messages":[{"role":"user","content":"x"}]}"#, "invalid_max_tokens"),
                (#"{"model":"tiny","max_tokens":18446744073709551615,"messages":[{"role":"user","content":"x"}]}"#, "invalid_max_tokens"),
            ]
            for (body, code) in bad {
                let r = try await G.post(base + "/v1/chat/completions", body)
                #expect(r.status == 400 && Self.errorCode(r.body) == code, "\(body): \(r.status) \(r.body)")
            }
        }
    }

    @Test func theUpstreamIsSentTheOutputLimitTheBudgetReserved() async throws {
        try await G.withGateway(upstreams: [("echo", false)], configure: { c in c.limits.defaultMaxTokens = 77 }) { base in
            func forwarded(_ body: String) async throws -> [String: Any] {
                let r = try await G.post(base + "/v1/chat/completions", body)
                #expect(r.status == 200, "\(r.body)")
                let object = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
                return try #require(object?["received"] as? [String: Any])
            }
            let both = try await forwarded(#"{"model":"tiny","max_tokens":1000,"max_completion_tokens":2,"messages":[{"role":"user","content":"x"}]}"#)
            #expect(both["max_tokens"] as? Int == 2 && both["max_completion_tokens"] as? Int == 2)
            let neither = try await forwarded(#"{"model":"tiny","messages":[{"role":"user","content":"x"}]}"#)
            #expect(neither["max_tokens"] as? Int == 77)
            let null = try await forwarded(#"{"model":"tiny","max_tokens":null,"messages":[{"role":"user","content":"x"}]}"#)
            #expect(null["max_tokens"] as? Int == 77, "an explicit null is replaced, not shadowed by a duplicate key")
            let newField = try await forwarded(#"{"model":"tiny","max_completion_tokens":5,"messages":[{"role":"user","content":"x"}]}"#)
            #expect(newField["max_tokens"] as? Int == 5)
            let unchanged = try await forwarded(#"{"model":"tiny","max_tokens":9,"user":"u","messages":[{"role":"user","content":"x"}]}"#)
            #expect(unchanged["max_tokens"] as? Int == 9 && unchanged["user"] as? String == "u")
        }
        // A worst case larger than the whole budget is a 400 saying so, not a 429 whose retry can never succeed.
        try await G.withGateway(upstreams: [("a", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(
                name: "small", keySHA256: APIKeys.sha256Hex("small-key"), budget: TenantBudget(tokensPerPeriod: 500, periodSeconds: G.periodLongerThanAnyTest))]
        }) { base in
            let auth = [("authorization", "Bearer small-key")]
            let r = try await G.post(base + "/v1/chat/completions", #"{"model":"tiny","messages":[{"role":"user","content":"x"}]}"#, headers: auth)
            #expect(r.status == 400 && Self.errorCode(r.body) == "request_exceeds_budget" && r.headers["retry-after"] == nil, "\(r.body)")
            // max_tokens 1000 with max_completion_tokens 2 reserves 1 + 2 tokens: 100 of them fit in 500 tokens... each.
            var admitted = 0
            for _ in 0..<3 {
                let ok = try await G.post(
                    base + "/v1/chat/completions", #"{"model":"tiny","max_tokens":1000,"max_completion_tokens":2,"messages":[{"role":"user","content":"x"}]}"#,
                    headers: auth)
                if ok.status == 200 { admitted += 1 }
            }
            #expect(admitted == 3)
        }
    }

    @Test func tokenIDPromptsArePassedThrough() async throws {
        try await G.withGateway(upstreams: [("echo", false)]) { base in
            for prompt in ["[1, 2, 3]", "[[1, 2], [3]]", "\"text\"", "[\"a\", \"b\"]"] {
                let r = try await G.post(base + "/v1/completions", #"{"model":"tiny","max_tokens":4,"prompt":\#(prompt)}"#)
                #expect(r.status == 200, "\(prompt): \(r.body)")
            }
            for prompt in ["[1.5]", "[-1]", "[[]]", "[]", "{}"] {
                let r = try await G.post(base + "/v1/completions", #"{"model":"tiny","max_tokens":4,"prompt":\#(prompt)}"#)
                #expect(r.status == 400 && Self.errorCode(r.body) == "invalid_prompt", "\(prompt): \(r.body)")
            }
        }
    }

    @Test func routerErrorsAreOpenAIShaped() async throws {
        try await G.withGateway(upstreams: [("a", false)]) { base in
            let get = try await Self.get(base + "/v1/chat/completions")
            #expect(get.status == 405 && get.headers["allow"] == "POST" && Self.errorCode(get.body) == "method_not_allowed", "\(get.body)")
            let unknown = try await Self.get(base + "/v2/nothing")
            #expect(unknown.status == 404 && Self.errorCode(unknown.body) == "not_found")
            let postModels = try await G.post(base + "/v1/models", "{}")
            #expect(postModels.status == 405 && postModels.headers["allow"] == "GET")
        }
    }

    @Test func longStringsAreRefusedNotStoredOrEchoed() async throws {
        try await G.withGateway(upstreams: [("a", false)]) { base in
            let longModel = String(repeating: "m", count: 300_000)
            let r = try await G.post(base + "/v1/chat/completions", #"{"model":"\#(longModel)","messages":[{"role":"user","content":"x"}]}"#)
            #expect(r.status == 400 && Self.errorCode(r.body) == "invalid_model" && r.body.count < 1000)
            let session = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("x-sluice-session-id", String(repeating: "s", count: 5000))])
            #expect(session.status == 400 && Self.errorCode(session.body) == "invalid_header" && session.body.count < 1000)
        }
    }

    @Test func anUpstreamsOwnErrorIsPassedOnAndARefusedConnectionFailsOverAtOnce() async throws {
        try await G.withGateway(upstreams: [("oom", false)]) { base in
            let r = try await G.post(base + "/v1/chat/completions", G.chat)
            #expect(r.status == 500 && r.body.contains("CUDA out of memory") && Self.errorCode(r.body) == "upstream_500", "\(r.body)")
        }
        // Port 1 refuses connections: the request moves to the live upstream without AsyncHTTPClient's 10 s of retries.
        try await G.withGateway(upstreams: [("a", false)], configure: { c in
            c.upstreams.insert(.init(name: "dead", url: "http://127.0.0.1:1", model: "tiny", pricePerHourUSD: 1, maxConcurrency: 8), at: 0)
        }) { base in
            let start = ContinuousClock.now
            let r = try await G.post(base + "/v1/chat/completions", G.chat)
            #expect(r.status == 200 && r.headers["x-sluice-upstream"] == "a")
            // The time before the live upstream got it (10,000 ms before the fix); bounds generous for a loaded machine.
            let queueMs = Double(r.headers["x-sluice-queue-ms"] ?? "") ?? .infinity
            #expect(queueMs < 3000, "\(queueMs) ms before the retry")
            #expect(ContinuousClock.now - start < .seconds(9))
        }
    }

    /// The read timeout the silent-upstream tests run with: long enough that the stalling upstream's head (sent at
    /// once) always beats it on a loaded 2-core machine running the suite in parallel (at 2 s the head sometimes lost,
    /// the upstream was marked down and the test saw 503), short enough for the tests' 20 s bound.
    static let stallReadTimeoutSeconds = 5.0

    @Test func aSilentUpstreamEndsTheStreamWithAnError() async throws {
        try await G.withGateway(upstreams: [("stall", false)], configure: { c in c.limits.upstreamReadTimeoutSeconds = Self.stallReadTimeoutSeconds }) { base in
            let start = ContinuousClock.now
            let r = try await G.post(base + "/v1/chat/completions", #"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"x"}]}"#)
            #expect(r.status == 200 && r.body.contains("upstream_timeout"), "\(r.body)")
            #expect(ContinuousClock.now - start < .seconds(20))
        }
    }

    @Test func hugeTokenCountsNeitherWrapNorGiveBudgetBack() async throws {
        let store = try GatewayLedgerTests.store()
        try await G.withGateway(upstreams: [("huge", false)], store: store) { base in
            let r = try await G.post(base + "/v1/chat/completions", G.chat)
            #expect(r.status == 200)
        }
        let entry = try #require(try await store.recentEntries(limit: 1).first)
        #expect(entry.completionTokens == 8 && entry.promptTokens >= 0 && entry.costUSD >= 0, "\(entry)")
    }

    @Test func theKeyIsCheckedBeforeTheBodyAndModelsAndMetricsTakeKeys() async throws {
        try await G.withGateway(upstreams: [("a", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(name: "team", keySHA256: APIKeys.sha256Hex("team-key"))]
            c.metricsKeySHA256 = APIKeys.sha256Hex("metrics-key")
        }) { base in
            let big = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + String(repeating: "x", count: 2 << 20) + "\"}]}"
            let keyless = try await G.post(base + "/v1/chat/completions", big)
            #expect(keyless.status == 401 && Self.errorCode(keyless.body) == "invalid_api_key")
            #expect(try await Self.get(base + "/v1/models").status == 401)
            #expect(try await Self.get(base + "/v1/models", headers: [("authorization", "Bearer team-key")]).status == 200)
            #expect(try await Self.get(base + "/metrics").status == 401)
            let metrics = try await Self.get(base + "/metrics", headers: [("authorization", "Bearer metrics-key")])
            #expect(metrics.status == 200 && metrics.body.contains("sluice_refused_total{code=\"invalid_api_key\",tenant=\"\"}"))
        }
    }

    @Test func seriesPeopleAlertOnExistFromTheStartWithTenants() async throws {
        try await G.withGateway(upstreams: [("usage-a", false)], configure: { c in
            c.tenants = [GatewayConfig.TenantConfig(
                name: "team", keySHA256: APIKeys.sha256Hex("team-key"), budget: TenantBudget(tokensPerPeriod: 1000, periodSeconds: G.periodLongerThanAnyTest))]
        }) { base in
            let before = try await Self.get(base + "/metrics").body
            for series in [
                #"sluice_upstream_in_flight_requests{upstream="usage-a"} 0"#, #"sluice_prompt_tokens_total{tenant="team",upstream="usage-a"} 0"#,
                #"sluice_client_cancelled_total{upstream="usage-a"} 0"#, #"sluice_queue_waiting_requests{band="low"} 0"#,
                "sluice_ledger_write_failures_total 0",
            ] {
                #expect(before.contains(series), "\(series) missing at start")
            }
            let r = try await G.post(base + "/v1/chat/completions", G.chat, headers: [("authorization", "Bearer team-key")])
            #expect(r.status == 200)
            let after = try await Self.get(base + "/metrics").body
            #expect(after.contains(#"sluice_requests_total{upstream="usage-a",code="200",tenant="team"} 1"#), "\(after.prefix(1500))")
            #expect(after.contains(#"sluice_completion_tokens_total{tenant="team",upstream="usage-a"} 2"#))
            // 1,000 tokens less the 5 the engine reported using.
            #expect(after.contains(#"sluice_tenant_budget_remaining_tokens{tenant="team"} 995"#))
        }
    }

    @Test func theLoadGeneratorTellsTimeoutsConnectionErrorsAndBrokenStreamsApart() async throws {
        var refused = LoadGenerator.Plan(baseURL: "http://127.0.0.1:1", model: "tiny", rate: 20, durationSeconds: 0.1)
        refused.timeoutSeconds = 5
        #expect(try await LoadGenerator.run(refused).statuses["connection_error"] == 2)
        // The read timeout leaves a loaded machine time to deliver the head (a timeout before it fails the upstream over).
        try await G.withGateway(upstreams: [("stall", false)], configure: { c in c.limits.upstreamReadTimeoutSeconds = Self.stallReadTimeoutSeconds }) { base in
            // Streams end with the gateway's SSE error event: 200, but not a success.
            var broken = LoadGenerator.Plan(baseURL: base, model: "tiny", rate: 20, durationSeconds: 0.1)
            broken.streamShare = 1
            // Under the whole suite on 2 cores one of the two requests is sometimes answered 503 instead (about 1 run
            // in 6, cause not found yet); what is checked is that a broken stream is never counted as a success nor
            // confused with a timeout or a connection error.
            let b = try await LoadGenerator.run(broken)
            #expect(b.succeeded == 0 && b.statuses["stream_error", default: 0] >= 1, "\(b.statuses)")
            #expect(Set(b.statuses.keys).isSubset(of: ["stream_error", "503"]), "\(b.statuses)")
            // A client timeout shorter than the gateway's read timeout: the client gives up first.
            var impatient = broken
            impatient.timeoutSeconds = 1
            let t = try await LoadGenerator.run(impatient)
            #expect(t.statuses["timeout", default: 0] >= 1 && Set(t.statuses.keys).isSubset(of: ["timeout", "503"]), "\(t.statuses)")
        }
    }

    @Test func aWaiterWhoseClientHungUpLeavesTheQueue() async throws {
        try await G.withGateway(upstreams: [("gated-hangup", false)], configure: { c in
            c.upstreams[0].maxConcurrency = 1
            c.maxQueueLength = 1
            c.maxQueueSeconds = G.heldRequestSeconds
        }) { base in
            let running = Task { try await G.post(base + "/v1/chat/completions", G.chat, timeout: G.heldRequestTimeout) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_upstream_in_flight_requests{upstream="gated-hangup"} 1"#)
            // This client gives up after half a second, while queued.
            _ = try? await G.post(base + "/v1/chat/completions", G.chat, timeout: .milliseconds(500))
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_queue_waiting_requests{band="normal"} 0"#)
            // Its place is free: the next request queues instead of finding the queue full.
            let next = Task { try await G.post(base + "/v1/chat/completions", G.chat, timeout: G.heldRequestTimeout) }
            try await GatewayOverloadTests.waitForMetric(base, #"sluice_queue_waiting_requests{band="normal"} 1"#)
            UpstreamObservations.shared.open(gate: "gated-hangup")
            #expect(try await running.value.status == 200)
            #expect(try await next.value.status == 200)
        }
    }

    /// A raw TCP connection to `port` that sends `bytes`; returns how long the server took to close it (nil: it did not
    /// within `waitSeconds`).
    static func secondsUntilClosed(port: Int, sending bytes: String, waitSeconds: Double) -> Double? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard connectToLocalhost(fd, port: port) == 0 else { return 0 }
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        var timeout = timeval(tv_sec: Int(waitSeconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return Date().timeIntervalSince(start) }
            if n < 0 { return errno == ECONNRESET ? Date().timeIntervalSince(start) : nil }
        }
    }

    /// Connects socket `fd` to 127.0.0.1:`port`; returns `connect`'s result (0 on success).
    @discardableResult
    static func connectToLocalhost(_ fd: Int32, port: Int) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    @Test func slowHeadsAndSlowBodiesAreCutOffAndConnectionsAreCapped() async throws {
        try await G.withGateway(upstreams: [("a", false)], configure: { c in
            c.limits.headerTimeoutSeconds = 0.5
            c.limits.bodyTimeoutSeconds = 0.5
        }) { base in
            let port = Int(base.split(separator: ":").last!)!
            // An incomplete head, then silence (slowloris).
            let head = Self.secondsUntilClosed(port: port, sending: "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", waitSeconds: 10)
            #expect(head != nil && head! < 5, "closed after \(String(describing: head)) s")
            // A complete head promising a body that never comes.
            let body = Self.secondsUntilClosed(
                port: port, sending: "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{", waitSeconds: 10)
            #expect(body != nil && body! < 5, "closed after \(String(describing: body)) s")
        }
        // Over the connection cap: three held open (within a long header timeout), the fourth is closed at once; without
        // the cap it would be answered and kept alive.
        try await G.withGateway(upstreams: [("a", false)], configure: { c in
            c.limits.headerTimeoutSeconds = 30
            c.limits.maxConnections = 3
        }) { base in
            let port = Int(base.split(separator: ":").last!)!
            let held = (0..<3).map { _ in socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
            defer { for fd in held { close(fd) } }
            for fd in held { Self.connectToLocalhost(fd, port: port) }
            try await Task.sleep(for: .milliseconds(500))
            let over = Self.secondsUntilClosed(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", waitSeconds: 5)
            #expect(over != nil && over! < 2, "closed after \(String(describing: over)) s")
        }
    }

    @Test func aClientThatStopsReadingIsCutOffAndItsUpstreamCancelled() async throws {
        try await G.withGateway(upstreams: [("flood-slowread", false)], configure: { c in c.limits.slowReadTimeoutSeconds = 1 }) { base in
            let port = Int(base.split(separator: ":").last!)!
            // A streaming request on a connection with a small receive buffer, whose answer is never read.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            #expect(Self.connectToLocalhost(fd, port: port) == 0)
            let body = #"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"x"}]}"#
            let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            // Without the slow-read timeout the gateway waits on the socket for ever and the upstream keeps streaming.
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline && !UpstreamObservations.shared.contains("flood-slowread cancelled") {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(UpstreamObservations.shared.contains("flood-slowread cancelled"), "the gateway let go of the stream")
        }
    }

    @Test func twoGatewaysCannotShareOneSQLiteLedger() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gw-lock-\(UUID().uuidString).db").path
        var config = GatewayConfig(listen: .init(host: "127.0.0.1", port: 0), upstreams: [.init(name: "a", url: "http://127.0.0.1:1", model: "tiny")])
        config.ledger = .sqlite(path: path, synchronous: "normal")
        let first = try await Gateway.open(config: config)
        do {
            _ = try await Gateway.open(config: config)
            Issue.record("a second gateway opened the same SQLite ledger")
        } catch {
            #expect("\(error)".contains("postgres"), "\(error)")
        }
        await first.shutdown()
        // Released with its gateway: the file can be opened again.
        let again = try await Gateway.open(config: config)
        await again.shutdown()
    }
}
