import AsyncHTTPClient
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTP1
import SluiceCore
import SluiceLedger

extension Gateway {
    /// Seconds between checks that the client of a non-streamed request is still connected.
    static let disconnectPollSeconds = 0.1

    /// Handles one request: the answer, or the gateway's own error. Answers from an upstream (and failures after one
    /// was tried) are written to the ledger; refusals before that are counted in `sluice_refused_total` by tenant and
    /// code, not written one row each, so a flood of bad or keyless requests cannot grow the ledger.
    func handle(_ request: Request, context: GatewayRequestContext, path: String) async -> Response {
        var exchange = Exchange(id: ids.next(), receivedSeconds: GatewayClock.monotonicSeconds())
        do {
            return try await proxy(request, context: context, path: path, exchange: &exchange)
        } catch {
            metrics.refused(code: error.code, tenant: exchange.tenant ?? error.tenant)
            var response = error.response()
            response.headers[Self.requestIDHeader] = exchange.id
            return response
        }
    }

    static let requestIDHeader = HTTPField.Name("x-request-id")!
    static let upstreamHeader = HTTPField.Name("x-sluice-upstream")!
    static let sloKindHeader = HTTPField.Name("x-sluice-slo-kind")!
    static let sloClassHeader = HTTPField.Name("x-sluice-slo-class")!
    static let queueHeader = HTTPField.Name("x-sluice-queue-ms")!
    static let predictedCostHeader = HTTPField.Name("x-sluice-predicted-cost-usd")!

    /// Checks, budgets, queues, routes and forwards. - Throws: ``OpenAIError`` when the gateway answers itself.
    func proxy(_ request: Request, context: GatewayRequestContext, path: String, exchange: inout Exchange) async throws(OpenAIError) -> Response {
        // The key first: a keyless client's body is never read into memory.
        let tenant = tenants.mayRequireKey ? try await tenants.authenticate(request.headers[.authorization]) : nil
        exchange.tenant = tenant?.name
        let metadata = try RequestMetadata(
            request.headers, classes: config.sloClasses, defaultClass: tenant?.sloClass, maxValueBytes: config.limits.maxHeaderValueBytes)
        exchange.sloClass = metadata.sloClass
        exchange.targets = metadata.targets
        var buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: config.maxBodyBytes) } catch {
            throw OpenAIError(.contentTooLarge, "the request body exceeds \(config.maxBodyBytes) bytes", code: "body_too_large")
        }
        let parsed = try Self.parse(
            Data(buffer.readableBytesView), path: path, limits: config.limits, hashPrefixes: config.router == PrefixAffinityRouter().name)
        if let normalized = parsed.normalizedBody { buffer = ByteBuffer(bytes: normalized) }
        exchange.model = parsed.model
        exchange.stream = parsed.stream
        exchange.promptTokens = parsed.promptTokensEstimate
        guard pool.serves(parsed.model) else {
            throw OpenAIError(.notFound, "model '\(parsed.model)' is not served; see GET /v1/models", code: "model_not_found")
        }
        // Budget: reserve the worst case before anything is forwarded; settled to what was used once answered. The
        // upstream is sent the same output limit (``Parsed/normalizedBody``), so the worst case is what it may generate.
        let maxOutput = parsed.maxTokens
        let worstTokens = Double(parsed.promptTokensEstimate + maxOutput)
        var reservation: TenantRegistry.Reservation?
        var pinned: Int?
        if let tenant {
            // Routing happens after queueing, so the worst case is the dearest upstream's; with `over=downgrade` a request
            // that does not fit there is reserved on, and sent to, the cheapest (SluiceCore's BudgetAdmission, as in the
            // simulator).
            let costs = await pool.worstCaseCosts(model: parsed.model, promptTokens: parsed.promptTokensEstimate, maxOutputTokens: maxOutput)
            let usd = Dictionary(costs.map { ($0.upstream, $0.usd) }, uniquingKeysWith: max)
            let candidates = costs.map {
                BudgetAdmission.Candidate(index: $0.upstream, usdPerOutputToken: $0.usd / Double(max(maxOutput, 1)), load: 0)
            }
            let dearest = candidates.max { $0.usdPerOutputToken < $1.usdPerOutputToken }
                ?? BudgetAdmission.Candidate(index: -1, usdPerOutputToken: 0, load: 0)
            let attempts = BudgetAdmission.attempts(chosen: dearest, candidates: candidates, overflow: await tenants.overflow(of: tenant.name))
            for (i, a) in attempts.enumerated() {
                do {
                    reservation = try await tenants.reserve(
                        tenant: tenant.name, tokens: worstTokens, usd: usd[a.index] ?? 0, now: GatewayClock.unixSeconds(),
                        finalAttempt: i == attempts.count - 1)
                    if i > 0 {
                        pinned = a.index
                        await tenants.recordDowngrade(tenant: tenant.name)
                        metrics.downgraded(tenant: tenant.name)
                    }
                    break
                } catch {
                    let overBudget = error.code == "budget_exceeded" || error.code == "request_exceeds_budget"
                    if !overBudget || i == attempts.count - 1 { throw error }
                }
            }
        }
        let settlement = Settlement(tenants: tenants, reservation: reservation, metrics: metrics)
        let info = RequestInfo(id: 0, arrivalSeconds: 0, promptTokens: parsed.promptTokensEstimate, sloClass: 0, priority: metadata.priority)
        let order = QueuedRequest(
            requestID: 0, handle: 0, arrivalSeconds: exchange.receivedSeconds, promptTokens: parsed.promptTokensEstimate,
            predictedOutputTokens: Double(metadata.expectedOutputTokens ?? config.defaultExpectedOutputTokens), sloClass: 0,
            targets: metadata.targets)
        let band = GatewayConfig.PriorityBand.of(priority: metadata.priority)
        let (queueLength, queueSeconds) = config.queueLimits(band)
        if config.admission == "slo", metadata.targets.isSet,
           !(await pool.canMeet(model: parsed.model, request: info, targets: metadata.targets, expectedOutputTokens: metadata.expectedOutputTokens)) {
            await settlement.settle(tokens: 0, usd: 0)
            throw OpenAIError(
                .serviceUnavailable, "no upstream of '\(parsed.model)' is predicted to meet the request's SLO targets now", type: "server_error",
                code: "slo_unattainable", retryAfterSeconds: 1)
        }
        let hints = UpstreamPool.RoutingHints(prefixHashes: parsed.prefixHashes, session: metadata.sessionID, maxTokens: maxOutput)
        // A downgraded request may only go where its reservation was made.
        var excluded = pinned.map { p in Set(config.upstreams.indices.filter { $0 != p }) } ?? Set<Int>()
        /// The last upstream's own error answer (status and body), passed on when no other upstream is left.
        var upstreamError: (status: Int, body: ByteBuffer?, upstream: String)?
        while true {
            let lease: UpstreamPool.Lease?
            do {
                lease = try await pool.acquireWaiting(
                    model: parsed.model, request: info, order: order, targets: metadata.targets,
                    expectedOutputTokens: metadata.expectedOutputTokens, excluded: excluded, band: band, maxQueueLength: queueLength,
                    maxWaitSeconds: queueSeconds, hints: hints, clientConnected: { [channel = context.channel] in channel.isActive })
            } catch {
                await settlement.settle(tokens: 0, usd: 0)
                if !context.channel.isActive {
                    throw OpenAIError(.init(code: 499), "the client disconnected while its request waited for an upstream", code: "client_disconnected")
                }
                if error == .queueFull {
                    throw OpenAIError(
                        .serviceUnavailable, "the gateway queue of \(band.rawValue)-priority requests is full (\(queueLength) waiting)", type: "server_error",
                        code: "queue_full", retryAfterSeconds: 1)
                }
                throw OpenAIError(
                    .serviceUnavailable, "no upstream of '\(parsed.model)' freed up within \(queueSeconds) s", type: "server_error",
                    code: "queue_timeout", retryAfterSeconds: 1)
            }
            guard let lease else {
                await settlement.settle(tokens: 0, usd: 0)
                if let upstreamError { throw Self.passOn(upstreamError) }
                throw OpenAIError(
                    .serviceUnavailable, "no healthy upstream of '\(parsed.model)' is left to try", type: "server_error", code: "no_capacity",
                    retryAfterSeconds: 1)
            }
            let upstream = config.upstreams[lease.upstream]
            exchange.attempts += 1
            exchange.upstream = upstream.name
            exchange.dispatchedSeconds = GatewayClock.monotonicSeconds()
            exchange.predictedCostUSD = lease.predictedCostUSD
            metrics.inFlight(upstream: upstream.name, count: lease.inFlight)
            var outgoing = HTTPClientRequest(url: upstream.url + path)
            outgoing.method = .POST
            outgoing.headers.add(name: "content-type", value: "application/json")
            outgoing.headers.add(name: "x-request-id", value: exchange.id)
            if let key = upstream.apiKey { outgoing.headers.add(name: "authorization", value: "Bearer \(key)") }
            outgoing.body = .bytes(buffer)
            let response: HTTPClientResponse
            var answer: ByteBuffer?
            do {
                (response, answer) = try await exchangeUnlessDisconnected(outgoing, collecting: !parsed.stream, channel: context.channel)
            } catch is ClientDisconnected {
                metrics.cancelled(upstream: upstream.name)
                await finish(&exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: 0, status: 499, code: "client_disconnected")
                throw OpenAIError(.init(code: 499), "the client disconnected; the upstream request was cancelled", code: "client_disconnected")
            } catch let failed as CollectFailed {
                if failed.timedOut {
                    await finish(&exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: maxOutput, status: 504, code: "upstream_timeout")
                    throw OpenAIError(
                        .gatewayTimeout, "upstream \(upstream.name) sent nothing for \(config.limits.upstreamReadTimeoutSeconds) s while answering",
                        type: "server_error", code: "upstream_timeout")
                }
                await finish(&exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: 0, status: 502, code: "upstream_failed")
                throw OpenAIError(.badGateway, "upstream \(upstream.name) failed while answering", type: "server_error", code: "upstream_failed")
            } catch {
                // Nothing streamed yet: mark it down and try another upstream (the health check brings it back).
                metrics.inFlight(upstream: upstream.name, count: await pool.release(lease).inFlight)
                await pool.setHealthy(lease.upstream, false)
                excluded.insert(lease.upstream)
                continue
            }
            if response.status.code >= 500 {
                metrics.inFlight(upstream: upstream.name, count: await pool.release(lease).inFlight)
                excluded.insert(lease.upstream)
                upstreamError = (Int(response.status.code), answer, upstream.name)
                continue
            }
            var headers: HTTPFields = [:]
            headers[.contentType] = response.headers.first(name: "content-type") ?? "application/json"
            headers[Self.requestIDHeader] = exchange.id
            headers[Self.upstreamHeader] = upstream.name
            headers[Self.sloKindHeader] = metadata.targets.kind.rawValue
            if let c = metadata.sloClass { headers[Self.sloClassHeader] = c }
            if let p = lease.predictedCostUSD { headers[Self.predictedCostHeader] = Self.decimal(p, digits: 9) }
            headers[Self.queueHeader] = Self.decimal(((exchange.dispatchedSeconds ?? 0) - exchange.receivedSeconds) * 1000, digits: 3)
            let status = HTTPResponse.Status(code: Int(response.status.code))
            if parsed.stream {
                return Response(status: status, headers: headers, body: streamBody(
                    response, lease: lease, upstream: upstream, status: Int(status.code), exchange: exchange, settlement: settlement))
            }
            guard let answer else {
                await finish(&exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: 0, status: 502, code: "upstream_failed")
                throw OpenAIError(.badGateway, "upstream \(upstream.name) sent no answer body", type: "server_error", code: "upstream_failed")
            }
            // The engine's reported usage settles the budget and the ledger; without it the estimate and the worst case stand.
            // (Read by scanning the bytes for the usage counts, without parsing the whole answer.)
            var usage = StreamUsageScanner()
            usage.scan(answer)
            if let p = usage.reportedPromptTokens { exchange.promptTokens = p }
            let completion = usage.reportedCompletionTokens
            await finish(
                &exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: completion ?? maxOutput,
                status: Int(status.code), code: status.code >= 400 ? "upstream_\(status.code)" : nil)
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: answer))
        }
    }

    /// `x` with `digits` decimals, without Foundation's locale-aware formatting (it is slow on Linux).
    static func decimal(_ x: Double, digits: Int) -> String {
        guard x.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        let whole = UInt64(scaled / scale)
        let fraction = String(UInt64(scaled - Double(whole) * scale))
        return (x < 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
    }

    /// The client went away before the answer was complete.
    struct ClientDisconnected: Error {}

    /// The upstream's answer failed after its head arrived (`timedOut`: it went silent for the read timeout).
    struct CollectFailed: Error {
        var timedOut = false
    }

    /// An upstream's own error answer as the gateway's: its status, and its message when it sent OpenAI's error shape.
    static func passOn(_ e: (status: Int, body: ByteBuffer?, upstream: String)) -> OpenAIError {
        var message = "upstream \(e.upstream) answered \(e.status)"
        if let body = e.body, let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
           let error = object["error"] as? [String: Any], let text = error["message"] as? String {
            message += ": " + String(text.prefix(Self.maxPassedOnMessageCharacters))
        }
        return OpenAIError(.init(code: e.status), message, type: "server_error", code: "upstream_\(e.status)", retryAfterSeconds: 1)
    }

    /// Longest upstream error message passed on to a client, characters.
    static let maxPassedOnMessageCharacters = 1000

    /// Sends `outgoing` and waits for the answer's head (and with `collecting`, its whole body), unless the client
    /// disconnects first: then the upstream request is cancelled and ``ClientDisconnected`` thrown.
    func exchangeUnlessDisconnected(
        _ outgoing: HTTPClientRequest, collecting: Bool, channel: any Channel
    ) async throws -> (HTTPClientResponse, ByteBuffer?) {
        let client = self.client
        let timeout = TimeAmount.milliseconds(Int64(config.upstreamTimeoutSeconds * 1000))
        return try await withThrowingTaskGroup(of: (HTTPClientResponse, ByteBuffer?)?.self) { group in
            group.addTask {
                let response = try await client.execute(outgoing, timeout: timeout)
                // A 5xx answer's body (its error message) is read too, to pass on when no other upstream is left.
                guard collecting || response.status.code >= 500 else { return (response, nil) }
                do { return (response, try await response.body.collect(upTo: Self.maxResponseBytes)) } catch {
                    if response.status.code >= 500 { return (response, nil) }
                    throw CollectFailed(timedOut: (error as? HTTPClientError) == .readTimeout)
                }
            }
            group.addTask {
                while channel.isActive { try await Task.sleep(for: .seconds(Self.disconnectPollSeconds)) }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw ClientDisconnected() }
            return result
        }
    }

    /// Ends a request's time on its upstream: GPU share, cost, budget, metrics, ledger (committed before returning).
    func finish(
        _ exchange: inout Exchange, lease: UpstreamPool.Lease, upstream: GatewayConfig.Upstream, settlement: Settlement, completionTokens: Int,
        status: Int, code: String?
    ) async {
        exchange.completionTokens = completionTokens
        // A streamed, complete answer shows the engine's speed: time to first token from dispatch, then token spacing.
        var timing: UpstreamPool.ObservedTiming?
        if exchange.stream, status == 200, let sent = exchange.dispatchedSeconds, let first = exchange.firstByteSeconds, let last = exchange.lastByteSeconds {
            timing = .init(dispatchedSeconds: sent, firstTokenSeconds: first, lastTokenSeconds: last)
        }
        let (gpuSeconds, inFlight) = await pool.release(
            lease, promptTokens: exchange.promptTokens, completionTokens: completionTokens, timing: timing)
        exchange.gpuSeconds = gpuSeconds
        exchange.costUSD = upstream.isTokenPriced
            ? upstream.tokenCharge(promptTokens: exchange.promptTokens, completionTokens: completionTokens)
            : exchange.gpuSeconds * upstream.pricePerHourUSD / 3600
        await settlement.settle(tokens: Double(exchange.promptTokens + completionTokens), usd: exchange.costUSD)
        let now = GatewayClock.monotonicSeconds()
        metrics.finished(
            upstream: upstream.name, tenant: exchange.tenant, code: status, duration: .seconds(now - exchange.receivedSeconds),
            promptTokens: exchange.promptTokens, completionTokens: completionTokens)
        metrics.cost(tenant: exchange.tenant, upstream: upstream.name, usd: exchange.costUSD)
        metrics.inFlight(upstream: upstream.name, count: inFlight)
        await ledger?.record(exchange.entry(status: status, errorCode: code))
    }

    /// The streamed answer: chunks passed on as they come; a broken upstream ends it with an SSE error event; a client
    /// that went away stops the reading, which cancels the upstream request.
    func streamBody(
        _ response: HTTPClientResponse, lease: UpstreamPool.Lease, upstream: GatewayConfig.Upstream, status: Int, exchange: Exchange,
        settlement: Settlement
    ) -> ResponseBody {
        ResponseBody { writer in
            var exchange = exchange
            var scanner = StreamUsageScanner()
            var code: String?
            var finalStatus = status
            do {
                for try await chunk in response.body {
                    let now = GatewayClock.monotonicSeconds()
                    if exchange.firstByteSeconds == nil { metrics.firstByte(upstream: upstream.name, duration: .seconds(now - exchange.receivedSeconds)) }
                    exchange.chunk(at: now)
                    scanner.scan(chunk)
                    do { try await writer.write(chunk) } catch {
                        code = "client_disconnected"
                        finalStatus = 499
                        metrics.cancelled(upstream: upstream.name)
                        break
                    }
                }
            } catch {
                // The upstream broke (or went silent for the read timeout) after bytes were sent: end the stream with a
                // final SSE error event.
                let timedOut = (error as? HTTPClientError) == .readTimeout
                code = timedOut ? "upstream_timeout" : "upstream_failed"
                finalStatus = timedOut ? 504 : 502
                let what = timedOut ? "went silent for \(config.limits.upstreamReadTimeoutSeconds) s" : "failed"
                let event = "data: {\"error\":{\"message\":\"upstream \(upstream.name) \(what) mid-stream\",\"type\":\"server_error\",\"code\":\"\(code!)\"}}\n\n"
                try? await writer.write(ByteBuffer(string: event))
            }
            if let p = scanner.reportedPromptTokens { exchange.promptTokens = p }
            await finish(
                &exchange, lease: lease, upstream: upstream, settlement: settlement, completionTokens: scanner.completionTokens, status: finalStatus,
                code: code)
            if code != "client_disconnected" { try await writer.finish(nil) }
        }
    }
}

/// A budget reservation to settle once, whatever path the request takes.
struct Settlement: Sendable {
    let tenants: TenantRegistry
    let reservation: TenantRegistry.Reservation?
    let metrics: GatewayMetrics

    /// Settles to what was used (0 and 0 when nothing was served), and updates the tenant's remaining-budget gauges.
    func settle(tokens: Double, usd: Double) async {
        guard let reservation else { return }
        let left = await tenants.settle(reservation, tokens: tokens, usd: usd, now: GatewayClock.unixSeconds())
        metrics.budgetRemaining(tenant: reservation.tenant, usd: left.usd, tokens: left.tokens)
    }
}
