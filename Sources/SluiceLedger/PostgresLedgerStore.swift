import Foundation
import Logging
import PostgresNIO

/// The shared ledger for several gateway replicas: PostgreSQL through postgres-nio's connection pool. Same schema
/// and queries as ``SQLiteLedgerStore``; in addition it keeps each tenant's spending per budget period in one row
/// (`budget_usage`), reserved and settled with single atomic statements, so replicas never together exceed a
/// tenant's budget (``BudgetStore``).
///
/// The pool runs in a task the store owns; ``close()`` ends it.
public final class PostgresLedgerStore: LedgerStore, BudgetStore {
    let client: PostgresClient
    let name: String
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// Entries per multi-row INSERT (PostgreSQL allows 65,535 binds; 19 a row).
    static let rowsPerInsert = 1000

    /// Connects to `url` (`postgres://user:password@host:port/database`) and creates the tables if needed.
    /// - Throws: ``LedgerError`` for a bad URL or an unreachable server.
    public init(url: String, maximumConnections: Int = 8) async throws(LedgerError) {
        let parsed = try Self.parse(url: url)
        name = "postgres:\(parsed.host):\(parsed.port)/\(parsed.database ?? parsed.username)"
        var configuration = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database,
            tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        var logger = Logger(label: "sluice.ledger.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        do {
            for statement in Self.schema { try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
        } catch {
            runner.cancel()
            throw LedgerError(store: name, operation: "open", reason: String(reflecting: error))
        }
    }

    /// The parts of a `postgres://` URL. - Throws: ``LedgerError`` naming what is wrong.
    static func parse(url: String) throws(LedgerError) -> (host: String, port: Int, username: String, password: String?, database: String?) {
        guard let u = URLComponents(string: url), u.scheme == "postgres" || u.scheme == "postgresql", let host = u.host, !host.isEmpty else {
            throw LedgerError(store: url, operation: "open", reason: "not a postgres://user:password@host:port/database URL")
        }
        guard let user = u.user, !user.isEmpty else {
            throw LedgerError(store: url, operation: "open", reason: "the URL names no user (postgres://USER@host/db)")
        }
        let database = u.path.count > 1 ? String(u.path.dropFirst()) : nil
        return (host, u.port ?? 5432, user, u.password, database)
    }

    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS ledger (
            id BIGSERIAL PRIMARY KEY,
            request_id TEXT NOT NULL, finished_at DOUBLE PRECISION NOT NULL, tenant TEXT, upstream TEXT, model TEXT NOT NULL,
            status INTEGER NOT NULL, error_code TEXT, stream BOOLEAN NOT NULL, prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL, queue_seconds DOUBLE PRECISION NOT NULL, ttft_seconds DOUBLE PRECISION,
            e2e_seconds DOUBLE PRECISION NOT NULL, gpu_seconds DOUBLE PRECISION NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
            predicted_cost_usd DOUBLE PRECISION, slo_class TEXT, slo_met BOOLEAN, attempts INTEGER NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS ledger_finished_at ON ledger(finished_at)",
        "CREATE INDEX IF NOT EXISTS ledger_tenant_finished_at ON ledger(tenant, finished_at)",
        "CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, key_sha256 TEXT NOT NULL UNIQUE, budget TEXT, slo_class TEXT)",
        "ALTER TABLE tenants ADD COLUMN IF NOT EXISTS requests_per_minute INTEGER",
        """
        CREATE TABLE IF NOT EXISTS budget_usage (
            tenant TEXT NOT NULL, period BIGINT NOT NULL, usd DOUBLE PRECISION NOT NULL, tokens DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (tenant, period))
        """,
    ]

    private func failure(_ operation: String, _ error: any Error) -> LedgerError {
        LedgerError(store: name, operation: operation, reason: String(reflecting: error))
    }

    public func append(_ entries: [LedgerEntry]) async throws(LedgerError) {
        guard !entries.isEmpty else { return }
        let columns = "request_id, finished_at, tenant, upstream, model, status, error_code, stream, prompt_tokens, completion_tokens, queue_seconds, ttft_seconds, e2e_seconds, gpu_seconds, cost_usd, predicted_cost_usd, slo_class, slo_met, attempts"
        do {
            // One statement per chunk: each is atomic; chunks beyond the first only for batches over `rowsPerInsert`.
            var start = 0
            while start < entries.count {
                let chunk = entries[start..<min(entries.count, start + Self.rowsPerInsert)]
                var binds = PostgresBindings(capacity: chunk.count * 19)
                var tuples: [String] = []
                tuples.reserveCapacity(chunk.count)
                for (row, e) in chunk.enumerated() {
                    let base = row * 19
                    tuples.append("(" + (1...19).map { "$\(base + $0)" }.joined(separator: ",") + ")")
                    binds.append(e.requestID)
                    binds.append(e.finishedAtUnixSeconds)
                    binds.append(e.tenant)
                    binds.append(e.upstream)
                    binds.append(e.model)
                    binds.append(e.status)
                    binds.append(e.errorCode)
                    binds.append(e.stream)
                    binds.append(e.promptTokens)
                    binds.append(e.completionTokens)
                    binds.append(e.queueSeconds)
                    binds.append(e.ttftSeconds)
                    binds.append(e.e2eSeconds)
                    binds.append(e.gpuSeconds)
                    binds.append(e.costUSD)
                    binds.append(e.predictedCostUSD)
                    binds.append(e.sloClass)
                    binds.append(e.sloMet)
                    binds.append(e.attempts)
                }
                let sql = "INSERT INTO ledger (\(columns)) VALUES " + tuples.joined(separator: ",")
                try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                start += chunk.count
            }
        } catch { throw failure("append", error) }
    }

    public func usage(fromUnixSeconds: Double, toUnixSeconds: Double) async throws(LedgerError) -> UsageReport {
        do {
            func rows(_ column: String, _ missing: String) async throws -> [UsageReport.Row] {
                var binds = PostgresBindings()
                binds.append(fromUnixSeconds)
                binds.append(toUnixSeconds)
                let sql = UsageReport.groupedSQL(by: column, missing: missing, placeholders: ("$1", "$2"))
                var out: [UsageReport.Row] = []
                for try await r in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                    .decode((String, Int, Int, Int, Int, Double, Double, Double, Int, Int, Double).self) {
                    out.append(UsageReport.Row(
                        key: r.0, requests: r.1, failed: r.2, promptTokens: r.3, completionTokens: r.4, costUSD: r.5, predictedCostUSD: r.6,
                        predictedRequestsCostUSD: r.7, sloRequests: r.8, sloMet: r.9, meanE2ESeconds: r.10))
                }
                return out
            }
            return UsageReport(
                fromUnixSeconds: fromUnixSeconds, toUnixSeconds: toUnixSeconds,
                byTenant: try await rows("tenant", "(none)"), byUpstream: try await rows("upstream", "(gateway)"))
        } catch { throw failure("usage", error) }
    }

    public func spend(tenant: String, sinceUnixSeconds: Double) async throws(LedgerError) -> Spend {
        do {
            let query: PostgresQuery = """
                SELECT COALESCE(SUM(cost_usd), 0)::float8, COALESCE(SUM(prompt_tokens + completion_tokens), 0)::float8
                FROM ledger WHERE tenant = \(tenant) AND finished_at >= \(sinceUnixSeconds)
                """
            for try await (usd, tokens) in try await client.query(query, logger: logger).decode((Double, Double).self) {
                return Spend(usd: usd, tokens: tokens)
            }
            return Spend()
        } catch { throw failure("spend", error) }
    }

    public func entryCount() async throws(LedgerError) -> Int {
        do {
            for try await n in try await client.query("SELECT COUNT(*) FROM ledger", logger: logger).decode(Int.self) { return n }
            return 0
        } catch { throw failure("count", error) }
    }

    public func recentEntries(limit: Int) async throws(LedgerError) -> [LedgerEntry] {
        do {
            let query: PostgresQuery = """
                SELECT request_id, finished_at, tenant, upstream, model, status, error_code, stream, prompt_tokens, completion_tokens,
                queue_seconds, ttft_seconds, e2e_seconds, gpu_seconds, cost_usd, predicted_cost_usd, slo_class, slo_met, attempts
                FROM ledger ORDER BY id DESC LIMIT \(limit)
                """
            var out: [LedgerEntry] = []
            for try await r in try await client.query(query, logger: logger).decode(
                (String, Double, String?, String?, String, Int, String?, Bool, Int, Int, Double, Double?, Double, Double, Double, Double?,
                 String?, Bool?, Int).self) {
                out.append(LedgerEntry(
                    requestID: r.0, finishedAtUnixSeconds: r.1, tenant: r.2, upstream: r.3, model: r.4, status: r.5, errorCode: r.6, stream: r.7,
                    promptTokens: r.8, completionTokens: r.9, queueSeconds: r.10, ttftSeconds: r.11, e2eSeconds: r.12, gpuSeconds: r.13,
                    costUSD: r.14, predictedCostUSD: r.15, sloClass: r.16, sloMet: r.17, attempts: r.18))
            }
            return out
        } catch { throw failure("read entries", error) }
    }

    public func tenants() async throws(LedgerError) -> [TenantRecord] {
        do {
            var out: [TenantRecord] = []
            for try await (name, key, budget, slo, rpm) in try await client.query(
                "SELECT name, key_sha256, budget, slo_class, requests_per_minute FROM tenants ORDER BY name", logger: logger
            ).decode((String, String, String?, String?, Int?).self) {
                out.append(TenantRecord(name: name, keySHA256: key, budget: budget, sloClass: slo, requestsPerMinute: rpm))
            }
            return out
        } catch { throw failure("read tenants", error) }
    }

    public func upsertTenant(_ tenant: TenantRecord) async throws(LedgerError) {
        do {
            try await client.query("""
                INSERT INTO tenants (name, key_sha256, budget, slo_class, requests_per_minute)
                VALUES (\(tenant.name), \(tenant.keySHA256), \(tenant.budget), \(tenant.sloClass), \(tenant.requestsPerMinute))
                ON CONFLICT (name) DO UPDATE SET key_sha256 = EXCLUDED.key_sha256, budget = EXCLUDED.budget, slo_class = EXCLUDED.slo_class,
                requests_per_minute = EXCLUDED.requests_per_minute
                """, logger: logger)
        } catch { throw failure("write tenant '\(tenant.name)'", error) }
    }

    public func removeTenant(named tenant: String) async throws(LedgerError) -> Bool {
        do {
            var removed = false
            for try await _ in try await client.query("DELETE FROM tenants WHERE name = \(tenant) RETURNING name", logger: logger)
                .decode(String.self) { removed = true }
            return removed
        } catch { throw failure("remove tenant '\(tenant)'", error) }
    }

    public func reserve(tenant: String, period: Int, usd: Double, tokens: Double, usdLimit: Double?, tokensLimit: Double?)
        async throws(LedgerError) -> Bool {
        if let usdLimit, usd > usdLimit { return false }
        if let tokensLimit, tokens > tokensLimit { return false }
        do {
            let query: PostgresQuery = """
                INSERT INTO budget_usage (tenant, period, usd, tokens) VALUES (\(tenant), \(Int64(period)), \(usd), \(tokens))
                ON CONFLICT (tenant, period) DO UPDATE SET usd = budget_usage.usd + EXCLUDED.usd, tokens = budget_usage.tokens + EXCLUDED.tokens
                WHERE (\(usdLimit)::float8 IS NULL OR budget_usage.usd + EXCLUDED.usd <= \(usdLimit)::float8)
                  AND (\(tokensLimit)::float8 IS NULL OR budget_usage.tokens + EXCLUDED.tokens <= \(tokensLimit)::float8)
                RETURNING usd
                """
            for try await _ in try await client.query(query, logger: logger).decode(Double.self) { return true }
            return false
        } catch { throw failure("reserve budget of '\(tenant)'", error) }
    }

    public func adjust(tenant: String, period: Int, usd: Double, tokens: Double) async throws(LedgerError) {
        do {
            try await client.query(
                "UPDATE budget_usage SET usd = usd + \(usd), tokens = tokens + \(tokens) WHERE tenant = \(tenant) AND period = \(Int64(period))",
                logger: logger)
        } catch { throw failure("settle budget of '\(tenant)'", error) }
    }

    public func close() async { runner.cancel() }
}

/// Budget accounts shared by several gateway replicas: per tenant and period, the USD and tokens reserved or spent.
/// ``reserve(tenant:period:usd:tokens:usdLimit:tokensLimit:)`` is atomic: it adds the amounts only if the totals stay
/// within the limits, so concurrent replicas cannot together overspend.
public protocol BudgetStore: Sendable {
    /// Adds a reservation if it fits. - Returns: whether it was added.
    func reserve(tenant: String, period: Int, usd: Double, tokens: Double, usdLimit: Double?, tokensLimit: Double?) async throws(LedgerError) -> Bool
    /// Adds `usd` and `tokens` (negative to give back) to the period's account.
    func adjust(tenant: String, period: Int, usd: Double, tokens: Double) async throws(LedgerError)
}
