import Foundation
import GRDB

/// The embedded ledger: one SQLite file through GRDB, in WAL mode, so readers (`sluice usage`, `sluice tenants`)
/// never block the gateway's writes. With `synchronous = NORMAL` (the default) a committed entry survives a crash or
/// kill of the gateway process; `FULL` also survives a power loss, at one fsync per commit.
public struct SQLiteLedgerStore: LedgerStore {
    /// Durability of a commit.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Survives a crash of the process (WAL appended before the commit returns).
        case normal
        /// Also survives a crash of the machine (fsync per commit).
        case full
    }

    let pool: DatabasePool
    let name: String
    /// Copies the WAL back into the database file from a connection of its own, off the writers' path: automatic
    /// checkpoints would run inside a commit (several milliseconds every thousand pages) and so inside a response.
    private let checkpointer: Task<Void, Never>

    /// Seconds between background checkpoints.
    public static let checkpointIntervalSeconds = 1.0

    /// Opens (creating if needed) the ledger at `path`. - Throws: ``LedgerError`` when it cannot be opened.
    public init(path: String, synchronous: Synchronous = .normal) throws(LedgerError) {
        name = "sqlite:\(path)"
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeoutSeconds)
        let pragma = synchronous == .full ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(pragma)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        let queue: DatabaseQueue
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            var own = Configuration()
            own.busyMode = .timeout(Self.busyTimeoutSeconds)
            queue = try DatabaseQueue(path: path, configuration: own)
        } catch {
            throw LedgerError(store: "sqlite:\(path)", operation: "open", reason: "\(error)")
        }
        checkpointer = Task.detached(priority: .background) {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.checkpointIntervalSeconds))
                // PASSIVE: copies what it can without waiting for (or blocking) the writer.
                _ = try? await queue.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            }
        }
    }

    /// Seconds a writer waits for another process's lock (a second gateway or `sluice tenants` on the same file).
    public static let busyTimeoutSeconds: Double = 5

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request_id TEXT NOT NULL, finished_at DOUBLE NOT NULL, tenant TEXT, upstream TEXT, model TEXT NOT NULL,
                    status INTEGER NOT NULL, error_code TEXT, stream INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL, queue_seconds DOUBLE NOT NULL, ttft_seconds DOUBLE, e2e_seconds DOUBLE NOT NULL,
                    gpu_seconds DOUBLE NOT NULL, cost_usd DOUBLE NOT NULL, predicted_cost_usd DOUBLE, slo_class TEXT, slo_met INTEGER,
                    attempts INTEGER NOT NULL);
                CREATE INDEX ledger_finished_at ON ledger(finished_at);
                CREATE INDEX ledger_tenant_finished_at ON ledger(tenant, finished_at);
                CREATE TABLE tenants (
                    name TEXT PRIMARY KEY, key_sha256 TEXT NOT NULL UNIQUE, budget TEXT, slo_class TEXT);
                """)
        }
        m.registerMigration("v2: tenant request rate") { db in
            try db.execute(sql: "ALTER TABLE tenants ADD COLUMN requests_per_minute INTEGER")
        }
        return m
    }

    static let insertSQL = """
        INSERT INTO ledger (request_id, finished_at, tenant, upstream, model, status, error_code, stream, prompt_tokens,
        completion_tokens, queue_seconds, ttft_seconds, e2e_seconds, gpu_seconds, cost_usd, predicted_cost_usd, slo_class, slo_met, attempts)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    public func append(_ entries: [LedgerEntry]) async throws(LedgerError) {
        guard !entries.isEmpty else { return }
        do {
            try await pool.write { db in
                let statement = try db.cachedStatement(sql: Self.insertSQL)
                for e in entries {
                    try statement.execute(arguments: [
                        e.requestID, e.finishedAtUnixSeconds, e.tenant, e.upstream, e.model, e.status, e.errorCode, e.stream,
                        e.promptTokens, e.completionTokens, e.queueSeconds, e.ttftSeconds, e.e2eSeconds, e.gpuSeconds, e.costUSD,
                        e.predictedCostUSD, e.sloClass, e.sloMet, e.attempts,
                    ])
                }
            }
        } catch { throw LedgerError(store: name, operation: "append", reason: "\(error)") }
    }

    public func usage(fromUnixSeconds: Double, toUnixSeconds: Double) async throws(LedgerError) -> UsageReport {
        do {
            return try await pool.read { db in
                func rows(_ column: String, _ missing: String) throws -> [UsageReport.Row] {
                    try Row.fetchAll(db, sql: UsageReport.groupedSQL(by: column, missing: missing, placeholders: ("?", "?")),
                                     arguments: [fromUnixSeconds, toUnixSeconds]).map { r in
                        UsageReport.Row(
                            key: r[0], requests: r[1], failed: r[2], promptTokens: r[3], completionTokens: r[4], costUSD: r[5],
                            predictedCostUSD: r[6], predictedRequestsCostUSD: r[7], sloRequests: r[8], sloMet: r[9], meanE2ESeconds: r[10])
                    }
                }
                return UsageReport(
                    fromUnixSeconds: fromUnixSeconds, toUnixSeconds: toUnixSeconds,
                    byTenant: try rows("tenant", "(none)"), byUpstream: try rows("upstream", "(gateway)"))
            }
        } catch { throw LedgerError(store: name, operation: "usage", reason: "\(error)") }
    }

    public func spend(tenant: String, sinceUnixSeconds: Double) async throws(LedgerError) -> Spend {
        do {
            return try await pool.read { db in
                let row = try Row.fetchOne(
                    db, sql: "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM ledger WHERE tenant = ? AND finished_at >= ?",
                    arguments: [tenant, sinceUnixSeconds])
                return Spend(usd: row?[0] ?? 0, tokens: row?[1] ?? 0)
            }
        } catch { throw LedgerError(store: name, operation: "spend", reason: "\(error)") }
    }

    public func entryCount() async throws(LedgerError) -> Int {
        do { return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger") ?? 0 } } catch {
            throw LedgerError(store: name, operation: "count", reason: "\(error)")
        }
    }

    public func recentEntries(limit: Int) async throws(LedgerError) -> [LedgerEntry] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT request_id, finished_at, tenant, upstream, model, status, error_code, stream, prompt_tokens, completion_tokens,
                    queue_seconds, ttft_seconds, e2e_seconds, gpu_seconds, cost_usd, predicted_cost_usd, slo_class, slo_met, attempts
                    FROM ledger ORDER BY id DESC LIMIT ?
                    """, arguments: [limit]).map { r in
                    LedgerEntry(
                        requestID: r[0], finishedAtUnixSeconds: r[1], tenant: r[2], upstream: r[3], model: r[4], status: r[5], errorCode: r[6],
                        stream: r[7], promptTokens: r[8], completionTokens: r[9], queueSeconds: r[10], ttftSeconds: r[11], e2eSeconds: r[12],
                        gpuSeconds: r[13], costUSD: r[14], predictedCostUSD: r[15], sloClass: r[16], sloMet: r[17], attempts: r[18])
                }
            }
        } catch { throw LedgerError(store: name, operation: "read entries", reason: "\(error)") }
    }

    public func tenants() async throws(LedgerError) -> [TenantRecord] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT name, key_sha256, budget, slo_class, requests_per_minute FROM tenants ORDER BY name").map {
                    TenantRecord(name: $0[0], keySHA256: $0[1], budget: $0[2], sloClass: $0[3], requestsPerMinute: $0[4])
                }
            }
        } catch { throw LedgerError(store: name, operation: "read tenants", reason: "\(error)") }
    }

    public func upsertTenant(_ tenant: TenantRecord) async throws(LedgerError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO tenants (name, key_sha256, budget, slo_class, requests_per_minute) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(name) DO UPDATE SET key_sha256 = excluded.key_sha256, budget = excluded.budget, slo_class = excluded.slo_class,
                        requests_per_minute = excluded.requests_per_minute
                        """,
                    arguments: [tenant.name, tenant.keySHA256, tenant.budget, tenant.sloClass, tenant.requestsPerMinute])
            }
        } catch { throw LedgerError(store: name, operation: "write tenant '\(tenant.name)'", reason: "\(error)") }
    }

    public func removeTenant(named tenant: String) async throws(LedgerError) -> Bool {
        do {
            return try await pool.write { db in
                try db.execute(sql: "DELETE FROM tenants WHERE name = ?", arguments: [tenant])
                return db.changesCount > 0
            }
        } catch { throw LedgerError(store: name, operation: "remove tenant '\(tenant)'", reason: "\(error)") }
    }

    public func close() async {
        checkpointer.cancel()
        try? pool.close()
    }
}
