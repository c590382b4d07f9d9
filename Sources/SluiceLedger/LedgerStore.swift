/// Where the gateway keeps its durable state: the cost ledger (one ``LedgerEntry`` per finished request) and the
/// tenants managed by `sluice tenants`. Two implementations: ``SQLiteLedgerStore`` (embedded, the default) and
/// ``PostgresLedgerStore`` (shared by several gateway replicas). The SQL is the same for both.
///
/// Contract: ``append(_:)`` returns only once the entries are durable (committed), so an answered request is never
/// lost to a crash of the gateway; it writes the batch in one transaction (all or none).
public protocol LedgerStore: Sendable {
    /// Appends entries in one transaction.
    func append(_ entries: [LedgerEntry]) async throws(LedgerError)
    /// Cost and SLO attainment per tenant and per upstream for `from ..< to` (seconds since 1970).
    func usage(fromUnixSeconds: Double, toUnixSeconds: Double) async throws(LedgerError) -> UsageReport
    /// What `tenant` spent (settled) since `sinceUnixSeconds`.
    func spend(tenant: String, sinceUnixSeconds: Double) async throws(LedgerError) -> Spend
    /// Entries in the ledger.
    func entryCount() async throws(LedgerError) -> Int
    /// The most recent entries, newest first.
    func recentEntries(limit: Int) async throws(LedgerError) -> [LedgerEntry]
    /// The stored tenants, by name.
    func tenants() async throws(LedgerError) -> [TenantRecord]
    /// Adds a tenant or replaces the one with the same name.
    func upsertTenant(_ tenant: TenantRecord) async throws(LedgerError)
    /// Removes a tenant. - Returns: whether it existed.
    func removeTenant(named name: String) async throws(LedgerError) -> Bool
    /// Releases connections.
    func close() async
}

/// A ledger or tenant-store failure: which store, what it was doing and why.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// The store (`sqlite:PATH` or `postgres:HOST:PORT/DB`).
    public var store: String
    /// What failed (`append`, `open`, `usage`, …).
    public var operation: String
    /// Why.
    public var reason: String

    /// Creates an error.
    public init(store: String, operation: String, reason: String) {
        self.store = store
        self.operation = operation
        self.reason = reason
    }

    /// `ledger sqlite:/x.db: append failed: disk I/O error`.
    public var description: String { "ledger \(store): \(operation) failed: \(reason)" }
}
