public import AsyncHTTPClient
import Foundation
public import Hummingbird
import Logging
import NIOCore
import HTTPTypes
public import SluiceCore
public import SluiceLedger

/// `sluice serve`: an OpenAI-compatible HTTP gateway in front of real engines. Each request is authenticated, checked,
/// budgeted, queued and given an upstream by the configured router (SluiceCore's, the code the simulator evaluates),
/// forwarded, and its answer passed back — server-sent events chunk by chunk as they arrive, without buffering. A
/// request that fails before its first byte is retried on another upstream; a stream that breaks ends with a final SSE
/// error event; a client that disconnects cancels its upstream request. Every answered request is written to the cost
/// ledger before its last byte is sent.
public struct Gateway: Sendable {
    /// The configuration.
    public let config: GatewayConfig
    let pool: UpstreamPool
    let client: HTTPClient
    let metrics = GatewayMetrics()
    let tenants: TenantRegistry
    /// The ledger (`nil`: nothing recorded).
    public let ledger: LedgerWriter?
    let ids = RequestIDs()
    let connections = ConnectionCount()
    let logger: Logger
    /// The lock on a SQLite ledger, held while the gateway lives (``LedgerFileLock``).
    var ledgerLock: LedgerFileLock?
    /// Whether ``run(handlingSignals:onServerRunning:)`` shuts the client down and closes the store when it returns
    /// (both opened by ``open(config:)``).
    var ownsClient = false

    /// Creates the gateway over `store` (the ledger and tenant store; `nil`: none). - Throws: ``SluiceError`` for a bad
    /// router name.
    public init(config: GatewayConfig, client: HTTPClient = .shared, store: (any LedgerStore)? = nil) throws(SluiceError) {
        self.config = config
        self.client = client
        pool = try UpstreamPool(config, metrics: metrics)
        tenants = TenantRegistry(config.tenants, shared: store as? any BudgetStore)
        var logger = Logger(label: "sluice.gateway")
        logger.logLevel = .info
        self.logger = logger
        let log = logger
        let metrics = self.metrics
        ledger = store.map { store in
            LedgerWriter(store: store) { entries, error in
                // Never silent: the entries that could not be written are logged whole and counted.
                metrics.ledgerFailed(entries.count)
                for e in entries { log.error("ledger write failed (\(error.description)); entry lost: \(e)") }
            }
        }
    }

    /// An HTTP client for the upstreams whose pool holds a connection for every request the upstreams may hold at
    /// once (AsyncHTTPClient's shared client keeps 8 per host, which would queue requests inside the gateway).
    public static func upstreamClient(for config: GatewayConfig) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        let perHost = max(8, config.upstreams.map(\.maxConcurrency).max() ?? 8)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: perHost)
        // A refused connection fails the request at once (it is retried on another upstream), instead of AsyncHTTPClient's
        // default of retrying with back-off until the connect timeout (10 s by default).
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .nanoseconds(Int64(config.limits.upstreamConnectTimeoutSeconds * 1e9))
        // No distributed tracing on the request path (AsyncHTTPClient would open a span per request: about 2 % of the
        // gateway's CPU with the default no-op tracer).
        configuration.tracing.tracer = nil
        // Silence from an upstream once the request is sent (before its head, or between chunks) ends the request.
        configuration.timeout.read = .nanoseconds(Int64(config.limits.upstreamReadTimeoutSeconds * 1e9))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Opens the store named by `config.ledger` and creates the gateway with its own upstream client
    /// (``upstreamClient(for:)``, shut down when ``run(handlingSignals:onServerRunning:)`` returns).
    /// - Throws: ``LedgerError``, ``SluiceError``.
    public static func open(config: GatewayConfig) async throws -> Gateway {
        let store: (any LedgerStore)?
        var lock: LedgerFileLock?
        switch config.ledger {
        case .none: store = nil
        case .sqlite(let path, let synchronous):
            lock = try LedgerFileLock(ledgerPath: path)
            store = try SQLiteLedgerStore(path: path, synchronous: SQLiteLedgerStore.Synchronous(rawValue: synchronous) ?? .normal)
        case .postgres(let url): store = try await PostgresLedgerStore(url: url)
        }
        var gateway = try Gateway(config: config, client: upstreamClient(for: config), store: store)
        gateway.ownsClient = true
        gateway.ledgerLock = lock
        return gateway
    }

    /// Loads the stored tenants and restores this period's spending from the ledger (call before serving).
    public func prepare() async {
        await refreshTenants()
        metrics.prime(
            upstreams: config.upstreams.map(\.name), tenants: await tenants.budgetedTenants,
            bands: GatewayConfig.PriorityBand.allCases.map(\.rawValue))
        guard let store = ledger?.store else { return }
        let now = GatewayClock.unixSeconds()
        for (tenant, start) in await tenants.budgetPeriods(now: now) {
            do { await tenants.restore(tenant: tenant, spend: try await store.spend(tenant: tenant, sinceUnixSeconds: start), now: now) } catch {
                logger.error("cannot restore the spending of tenant \(tenant): \(error.description)")
            }
        }
        for tenant in await tenants.budgetedTenants {
            let left = await tenants.remaining(tenant: tenant, now: now)
            metrics.budgetRemaining(tenant: tenant, usd: left.usd, tokens: left.tokens)
        }
    }

    func refreshTenants() async {
        guard let store = ledger?.store else { return }
        do {
            for (name, why) in await tenants.load(stored: try await store.tenants()) {
                logger.error("tenant '\(name)' in the store is ignored: \(why)")
            }
        } catch {
            if !Task.isCancelled { logger.error("cannot read the tenant store: \(error.description)") }
        }
    }

    /// The HTTP application; `onServerRunning` is told the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware(allowedMethods: [
            "/v1/chat/completions": .post, "/v1/completions": .post, "/v1/models": .get, "/metrics": .get, "/health": .get, "/ready": .get,
        ]))
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.get("/ready") { _, _ in
            await pool.anyHealthy ? Self.json(["status": "ready"]) : OpenAIError(.serviceUnavailable, "no upstream is healthy", type: "server_error", code: "no_healthy_upstream", retryAfterSeconds: 1).response()
        }
        router.get("/v1/models") { request, _ in
            // As OpenAI and LiteLLM do: with tenants configured, listing the models takes a key too.
            if tenants.mayRequireKey {
                do { _ = try await tenants.authenticate(request.headers[.authorization]) } catch let error as OpenAIError { return error.response() } catch { return OpenAIError(.unauthorized, "invalid API key", code: "invalid_api_key").response() }
            }
            let data = pool.models.map { ["id": $0, "object": "model", "owned_by": "sluice"] }
            return Self.json(["object": "list", "data": data])
        }
        router.get("/metrics") { request, _ in
            if let expected = config.metricsKeySHA256 {
                let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
                guard let presented, TenantRegistry.hash(presented) == expected.lowercased() else {
                    return OpenAIError(.unauthorized, "/metrics takes the metrics key as 'Authorization: Bearer KEY'", code: "invalid_api_key").response()
                }
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        router.post("/v1/chat/completions") { request, context in await handle(request, context: context, path: "/v1/chat/completions") }
        router.post("/v1/completions") { request, context in await handle(request, context: context, path: "/v1/completions") }
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [
                ClientHangUpHandler(), ConnectionGuard(limits: config.limits, count: connections),
            ])),
            configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "sluice"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) })
    }

    /// Serves until cancelled, or with `handlingSignals` until SIGTERM/SIGINT; runs the health and load checks of the
    /// upstreams and the tenant-store reloads beside it. `onServerRunning` is told the bound port.
    public func run(handlingSignals: Bool = true, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        await prepare()
        let app = application(onServerRunning: onServerRunning)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pollUpstreams() }
            if ledger != nil { group.addTask { await reloadTenants() } }
            group.addTask { await trimMemoryWhenIdle() }
            defer { group.cancelAll() }
            if handlingSignals { try await app.runService() } else { try await app.runService(gracefulShutdownSignals: []) }
        }
        await shutdown()
    }

    /// Shuts down what ``open(config:)`` opened (the upstream client and the store); nothing for a gateway given its
    /// client. ``run(handlingSignals:onServerRunning:)`` calls it when it returns.
    public func shutdown() async {
        guard ownsClient else { return }
        try? await client.shutdown()
        await ledger?.store.close()
        ledgerLock?.release()
    }

    /// Gives freed heap pages back to the operating system once the connections of a burst are gone (``IdleMemoryTrim``).
    func trimMemoryWhenIdle() async {
        var trim = IdleMemoryTrim()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(config.limits.idleMemoryTrimSeconds))
            let now = connections.snapshot
            if trim.shouldTrim(opened: now.opened, open: now.open) {
                IdleMemoryTrim.trim()
            }
        }
    }

    /// Reloads the tenant store every `tenantRefreshSeconds` until cancelled.
    func reloadTenants() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(config.tenantRefreshSeconds))
            await refreshTenants()
        }
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Largest non-streaming upstream answer passed back, bytes.
    static let maxResponseBytes = 64 << 20
}

/// The gateway's request context: Hummingbird's, plus the connection, so a client's disconnect can cancel its
/// upstream request.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's storage.
    public var coreContext: CoreRequestContextStorage
    /// The client connection.
    let channel: any Channel

    /// Creates the context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
