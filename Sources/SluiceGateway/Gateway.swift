public import AsyncHTTPClient
import Foundation
public import Hummingbird
import NIOCore
import NIOHTTP1
import HTTPTypes
public import SluiceCore

/// `sluice serve`: an OpenAI-compatible HTTP gateway in front of real engines. Each request is checked, given an
/// upstream by the configured router (SluiceCore's, the code the simulator evaluates), forwarded, and its answer passed
/// back — server-sent events chunk by chunk as they arrive, without buffering. A request that fails before its first
/// byte comes back is retried on another upstream; a stream that breaks ends with a final SSE error event.
public struct Gateway: Sendable {
    /// The configuration.
    public let config: GatewayConfig
    let pool: UpstreamPool
    let client: HTTPClient
    let metrics = GatewayMetrics()
    let tenants: TenantRegistry

    /// Creates the gateway. - Throws: ``SluiceError`` for a bad router name.
    public init(config: GatewayConfig, client: HTTPClient = .shared) throws(SluiceError) {
        self.config = config
        self.client = client
        pool = try UpstreamPool(config)
        tenants = TenantRegistry(config.tenants)
    }

    /// The HTTP application; `onServerRunning` is told the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.get("/ready") { _, _ in
            await pool.anyHealthy ? Self.json(["status": "ready"]) : OpenAIError(.serviceUnavailable, "no upstream is healthy", type: "server_error", code: "no_healthy_upstream", retryAfterSeconds: 1).response()
        }
        router.get("/v1/models") { _, _ in
            let data = pool.models.map { ["id": $0, "object": "model", "owned_by": "sluice"] }
            return Self.json(["object": "list", "data": data])
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        router.post("/v1/chat/completions") { request, context in await forward(request, context: context, path: "/v1/chat/completions") }
        router.post("/v1/completions") { request, context in await forward(request, context: context, path: "/v1/completions") }
        return Application(
            router: router,
            configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "sluice"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) })
    }

    /// Serves until the process is told to stop (SIGTERM, SIGINT); `onServerRunning` is told the bound port.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onServerRunning: onServerRunning).runService()
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The checked essentials of an OpenAI request body.
    struct Parsed {
        var model: String
        var stream: Bool
        var promptTokensEstimate: Int
        var maxTokens: Int?
    }

    /// Output tokens assumed for a budget reservation when the request sets no `max_tokens`.
    static let budgetDefaultMaxTokens = 1024

    /// Checks a request body. - Throws: ``OpenAIError`` naming the bad field.
    static func parse(_ data: Data, path: String) throws(OpenAIError) -> Parsed {
        guard let object = try? JSONSerialization.jsonObject(with: data), let body = object as? [String: Any] else {
            throw OpenAIError(.badRequest, "the request body is not a JSON object", code: "invalid_json")
        }
        guard let model = body["model"] as? String, !model.isEmpty else {
            throw OpenAIError(.badRequest, "field 'model' is required and must be a non-empty string", code: "invalid_model")
        }
        var stream = false
        if let s = body["stream"] {
            guard let b = s as? Bool else { throw OpenAIError(.badRequest, "field 'stream' must be a boolean", code: "invalid_stream") }
            stream = b
        }
        var maxTokens: Int?
        for key in ["max_tokens", "max_completion_tokens"] {
            guard let v = body[key] else { continue }
            guard let n = v as? Int, !(v is Bool), (1...Self.maxTokensLimit).contains(n) else {
                throw OpenAIError(.badRequest, "field '\(key)' must be an integer in 1...\(Self.maxTokensLimit)", code: "invalid_max_tokens")
            }
            maxTokens = n
        }
        var characters = 0
        if path.hasSuffix("chat/completions") {
            guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
                throw OpenAIError(.badRequest, "field 'messages' must be a non-empty array of objects", code: "invalid_messages")
            }
            for (i, m) in messages.enumerated() {
                guard m["role"] is String else { throw OpenAIError(.badRequest, "messages[\(i)].role must be a string", code: "invalid_messages") }
                if let c = m["content"] as? String { characters += c.count }
            }
        } else {
            guard let prompt = body["prompt"] else { throw OpenAIError(.badRequest, "field 'prompt' is required", code: "invalid_prompt") }
            guard prompt is String || prompt is [String] else {
                throw OpenAIError(.badRequest, "field 'prompt' must be a string or an array of strings", code: "invalid_prompt")
            }
            characters = (prompt as? String)?.count ?? (prompt as? [String])?.reduce(0) { $0 + $1.count } ?? 0
        }
        return Parsed(model: model, stream: stream, promptTokensEstimate: max(1, characters / Self.charactersPerToken), maxTokens: maxTokens)
    }

    /// Largest `max_tokens` accepted.
    static let maxTokensLimit = 1_000_000
    /// Characters per token for the prompt-length estimate routers see (English text averages about 4).
    static let charactersPerToken = 4

    /// Checks, routes and forwards one request, counting the gateway's own refusals.
    func forward(_ request: Request, context: some RequestContext, path: String) async -> Response {
        do { return try await proxy(request, path: path) } catch {
            metrics.refused(code: error.code)
            return error.response()
        }
    }

    /// The forwarding proper. - Throws: ``OpenAIError`` when the gateway answers itself.
    func proxy(_ request: Request, path: String) async throws(OpenAIError) -> Response {
        let received = ContinuousClock.now
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: config.maxBodyBytes) } catch {
            throw OpenAIError(.contentTooLarge, "the request body exceeds \(config.maxBodyBytes) bytes", code: "body_too_large")
        }
        let data = Data(buffer.readableBytesView)
        let tenant = try await tenants.authenticate(request.headers[.authorization])
        let metadata = try RequestMetadata(request.headers)
        let parsed = try Self.parse(data, path: path)
        guard pool.serves(parsed.model) else {
            throw OpenAIError(.notFound, "model '\(parsed.model)' is not served; see GET /v1/models", code: "model_not_found")
        }
        let info = RequestInfo(id: 0, arrivalSeconds: 0, promptTokens: parsed.promptTokensEstimate, sloClass: 0, priority: metadata.priority)
        var excluded = Set<Int>()
        let elapsed = Self.epoch.duration(to: ContinuousClock.now)
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // Budget: reserve the worst case before anything is forwarded; settled (conservatively) once answered.
        let worstTokens = Double(parsed.promptTokensEstimate + (parsed.maxTokens ?? Self.budgetDefaultMaxTokens))
        var reservation: (tenant: String, period: Int)?
        if let tenant {
            reservation = (tenant, try await tenants.reserve(tenant: tenant, tokens: worstTokens, usd: 0, now: now))
        }
        /// Settles the reservation to `tokens` used (0 when nothing was served).
        func settle(_ tokens: Double) async {
            guard let r = reservation else { return }
            await tenants.settle(tenant: r.tenant, period: r.period, reservedTokens: worstTokens, reservedUSD: 0, tokens: tokens, usd: 0)
        }
        let order = QueuedRequest(
            requestID: 0, handle: 0, arrivalSeconds: now, promptTokens: parsed.promptTokensEstimate,
            predictedOutputTokens: Double(metadata.expectedOutputTokens ?? 256), sloClass: 0, targets: metadata.targets)
        while true {
            let u: Int?
            do {
                u = try await pool.acquireWaiting(
                    model: parsed.model, request: info, order: order, targets: metadata.targets,
                    expectedOutputTokens: metadata.expectedOutputTokens, excluded: excluded, maxWaitSeconds: config.maxQueueSeconds)
            } catch {
                await settle(0)
                if error == .queueFull {
                    throw OpenAIError(
                        .serviceUnavailable, "the gateway queue is full (\(config.maxQueueLength) requests waiting)", type: "server_error",
                        code: "queue_full", retryAfterSeconds: 1)
                }
                throw OpenAIError(
                    .serviceUnavailable, "no upstream of '\(parsed.model)' freed up within \(config.maxQueueSeconds) s", type: "server_error",
                    code: "queue_timeout", retryAfterSeconds: 1)
            }
            guard let u else {
                await settle(0)
                throw OpenAIError(
                    .serviceUnavailable, "no healthy upstream of '\(parsed.model)' is left to try", type: "server_error", code: "no_capacity",
                    retryAfterSeconds: 1)
            }
            let upstream = config.upstreams[u]
            metrics.inFlight(upstream: upstream.name, count: await pool.inFlight(u))
            var outgoing = HTTPClientRequest(url: upstream.url + path)
            outgoing.method = .POST
            outgoing.headers.add(name: "content-type", value: "application/json")
            outgoing.body = .bytes(buffer)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(outgoing, timeout: .milliseconds(Int64(config.upstreamTimeoutSeconds * 1000)))
            } catch {
                // Nothing streamed yet: mark it down and try another upstream.
                await pool.release(u)
                await pool.setHealthy(u, false)
                excluded.insert(u)
                continue
            }
            if response.status.code >= 500 {
                await pool.release(u)
                excluded.insert(u)
                continue
            }
            var headers: HTTPFields = [:]
            headers[.contentType] = response.headers.first(name: "content-type") ?? "application/json"
            headers[HTTPField.Name("x-sluice-upstream")!] = upstream.name
            headers[HTTPField.Name("x-sluice-slo-kind")!] = metadata.targets.kind.rawValue
            if let c = metadata.sloClass { headers[HTTPField.Name("x-sluice-slo-class")!] = c }
            let queued = ContinuousClock.now - received
            headers[HTTPField.Name("x-sluice-queue-ms")!] = String(format: "%.3f", Double(queued.components.attoseconds) / 1e15 + Double(queued.components.seconds) * 1000)
            let status = HTTPResponse.Status(code: Int(response.status.code))
            let pool = self.pool
            let metrics = self.metrics
            if parsed.stream {
                return Response(status: status, headers: headers, body: ResponseBody { writer in
                    var first = true
                    do {
                        for try await chunk in response.body {
                            if first {
                                metrics.firstByte(upstream: upstream.name, duration: ContinuousClock.now - received)
                                first = false
                            }
                            try await writer.write(chunk)
                        }
                    } catch {
                        // The stream broke after bytes were sent: end it with a final SSE error event.
                        let event = "data: {\"error\":{\"message\":\"upstream \(upstream.name) failed mid-stream\",\"type\":\"server_error\",\"code\":\"upstream_failed\"}}\n\n"
                        try? await writer.write(ByteBuffer(string: event))
                    }
                    await pool.release(u)
                    metrics.finished(upstream: upstream.name, code: Int(status.code), duration: ContinuousClock.now - received)
                    metrics.inFlight(upstream: upstream.name, count: await pool.inFlight(u))
                    try await writer.finish(nil)
                })
            }
            do {
                let body = try await response.body.collect(upTo: Self.maxResponseBytes)
                await pool.release(u)
                // The engine's reported usage settles the budget; without it the worst case stays charged.
                let usage = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["usage"] as? [String: Any]
                await settle((usage?["total_tokens"] as? Int).map(Double.init) ?? worstTokens)
                metrics.finished(upstream: upstream.name, code: Int(status.code), duration: ContinuousClock.now - received)
                metrics.inFlight(upstream: upstream.name, count: await pool.inFlight(u))
                return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
            } catch {
                await pool.release(u)
                throw OpenAIError(.badGateway, "upstream \(upstream.name) failed while answering", type: "server_error", code: "upstream_failed")
            }
        }
    }

    /// Origin of the arrival times the ordering sees.
    static let epoch = ContinuousClock.now

    /// Largest non-streaming upstream answer passed back, bytes.
    static let maxResponseBytes = 64 << 20
}
