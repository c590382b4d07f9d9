import Foundation
import SluiceCore
import SluiceLedger
import Synchronization
import Testing

/// The ledger stores: what goes in comes out, aggregated per tenant and upstream; group commit loses nothing.
struct LedgerTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ledger-\(UUID().uuidString).db").path
    }

    static func entry(_ i: Int, tenant: String?, upstream: String?, status: Int = 200, cost: Double = 0.001, predicted: Double? = nil,
                      met: Bool? = nil, at t: Double = 1_000) -> LedgerEntry {
        LedgerEntry(
            requestID: "r\(i)", finishedAtUnixSeconds: t, tenant: tenant, upstream: upstream, model: "m", status: status, stream: i % 2 == 0,
            promptTokens: 10, completionTokens: 5, queueSeconds: 0.01, ttftSeconds: 0.1, e2eSeconds: 0.5, gpuSeconds: 0.2, costUSD: cost,
            predictedCostUSD: predicted, sloClass: "chat", sloMet: met, attempts: 1)
    }

    /// The checks every store must pass.
    static func exercise(_ store: any LedgerStore) async throws {
        // A window and tenant names of this run's own, so a shared server's earlier runs do not count.
        let t0 = Double(Int.random(in: 1_000_000...1_000_000_000)) * 10_000
        let suffix = UUID().uuidString.prefix(8)
        let (ta, tb) = ("a-\(suffix)", "b-\(suffix)")
        let base = try await store.entryCount()
        try await store.append([
            entry(1, tenant: ta, upstream: "u1", cost: 0.002, predicted: 0.001, met: true, at: t0 + 1_000),
            entry(2, tenant: ta, upstream: "u2", cost: 0.004, met: false, at: t0 + 1_000),
            entry(3, tenant: tb, upstream: "u1", status: 429, cost: 0, met: false, at: t0 + 1_000),
            entry(4, tenant: nil, upstream: nil, status: 400, cost: 0, at: t0 + 1_000),
            entry(5, tenant: ta, upstream: "u1", cost: 1, at: t0 + 5_000),  // outside the window
        ])
        #expect(try await store.entryCount() == base + 5)
        let report = try await store.usage(fromUnixSeconds: t0 + 900, toUnixSeconds: t0 + 1_100)
        let a = try #require(report.byTenant.first { $0.key == ta })
        #expect(a.requests == 2 && a.failed == 0 && a.promptTokens == 20 && a.completionTokens == 10)
        #expect(abs(a.costUSD - 0.006) < 1e-12)
        #expect(abs(a.predictedCostUSD - 0.001) < 1e-12 && abs(a.predictedRequestsCostUSD - 0.002) < 1e-12)
        #expect(a.sloRequests == 2 && a.sloMet == 1 && a.sloAttainment == 0.5)
        let b = try #require(report.byTenant.first { $0.key == tb })
        #expect(b.failed == 1 && b.sloAttainment == 0)
        #expect(report.byTenant.contains { $0.key == "(none)" && $0.requests == 1 })
        #expect(report.byUpstream.map(\.key) == ["(gateway)", "u1", "u2"])
        #expect(report.byUpstream.first { $0.key == "u1" }?.requests == 2)
        let spend = try await store.spend(tenant: ta, sinceUnixSeconds: t0 + 2_000)
        #expect(spend == Spend(usd: 1, tokens: 15))
        let recent = try await store.recentEntries(limit: 1)
        #expect(recent.first == entry(5, tenant: ta, upstream: "u1", cost: 1, at: t0 + 5_000))

        try await store.upsertTenant(TenantRecord(name: "team", keySHA256: String(repeating: "a", count: 64), budget: "tokens=100", sloClass: "chat"))
        try await store.upsertTenant(TenantRecord(name: "team", keySHA256: String(repeating: "b", count: 64), budget: nil, requestsPerMinute: 60))
        let tenants = try await store.tenants()
        #expect(tenants.filter { $0.name == "team" } == [TenantRecord(name: "team", keySHA256: String(repeating: "b", count: 64), requestsPerMinute: 60)])
        #expect(try await store.removeTenant(named: "team"))
        #expect(try await store.removeTenant(named: "team") == false)
    }

    @Test func sqliteStoreRoundTripsAndAggregates() async throws {
        let path = Self.temporaryPath()
        let store = try SQLiteLedgerStore(path: path)
        try await Self.exercise(store)
        await store.close()
        // Reopened, the entries are still there (and the schema is not created twice).
        let again = try SQLiteLedgerStore(path: path)
        #expect(try await again.entryCount() == 5)
    }

    @Test func sqliteOpenFailureNamesTheFile() {
        do {
            _ = try SQLiteLedgerStore(path: "/nonexistent-dir/x/ledger.db")
            Issue.record("opened a ledger in a missing directory")
        } catch {
            #expect(error.description.contains("sqlite:/nonexistent-dir/x/ledger.db") && error.description.contains("open"))
        }
    }

    @Test func groupCommitWritesEveryEntryInFewerCommits() async throws {
        let store = try SQLiteLedgerStore(path: Self.temporaryPath())
        let writer = LedgerWriter(store: store)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<300 { group.addTask { await writer.record(Self.entry(i, tenant: "t", upstream: "u")) } }
        }
        #expect(try await store.entryCount() == 300)
        #expect(await writer.written == 300)
        #expect(await writer.failed == 0)
        #expect(await writer.commits < 300, "concurrent records share commits")
    }

    @Test func writerReportsEntriesItCannotWrite() async throws {
        struct Broken: LedgerStore {
            func append(_ entries: [LedgerEntry]) async throws(LedgerError) { throw LedgerError(store: "broken", operation: "append", reason: "disk full") }
            func usage(fromUnixSeconds: Double, toUnixSeconds: Double) async throws(LedgerError) -> UsageReport { fatalError() }
            func spend(tenant: String, sinceUnixSeconds: Double) async throws(LedgerError) -> Spend { Spend() }
            func entryCount() async throws(LedgerError) -> Int { 0 }
            func recentEntries(limit: Int) async throws(LedgerError) -> [LedgerEntry] { [] }
            func tenants() async throws(LedgerError) -> [TenantRecord] { [] }
            func upsertTenant(_ tenant: TenantRecord) async throws(LedgerError) {}
            func removeTenant(named name: String) async throws(LedgerError) -> Bool { false }
            func close() async {}
        }
        let reported = ReportedEntries()
        let writer = LedgerWriter(store: Broken()) { entries, error in reported.add(entries.count, error.description) }
        await writer.record(Self.entry(1, tenant: nil, upstream: nil))
        #expect(await writer.failed == 1)
        #expect(reported.snapshot() == [(1, "ledger broken: append failed: disk full")].map { "\($0.0) \($0.1)" })
    }

    /// PostgreSQL: a real server, started by `.ci/run` (SLUICE_POSTGRES_URL); CI fails if it could not start one.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_POSTGRES_URL"] != nil))
    func postgresStoreRoundTripsAndSharesBudgets() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["SLUICE_POSTGRES_URL"])
        let store = try await PostgresLedgerStore(url: url)
        try await Self.exercise(store)
        // Budgets shared by replicas: 20 concurrent reservations of 10 tokens against a 100-token limit admit exactly 10.
        let tenant = "budget-\(UUID().uuidString.prefix(8))"
        // A store error fails the test with its message rather than counting as a refusal.
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { try await store.reserve(tenant: tenant, period: 7, usd: 0, tokens: 10, usdLimit: nil, tokensLimit: 100) }
            }
            var n = 0
            for try await ok in group where ok { n += 1 }
            return n
        }
        #expect(admitted == 10)
        try await store.adjust(tenant: tenant, period: 7, usd: 0, tokens: -10)
        #expect(try await store.reserve(tenant: tenant, period: 7, usd: 0, tokens: 10, usdLimit: nil, tokensLimit: 100))
        #expect(try await store.reserve(tenant: tenant, period: 7, usd: 0, tokens: 1, usdLimit: nil, tokensLimit: 100) == false)
        #expect(try await store.reserve(tenant: tenant, period: 8, usd: 0, tokens: 101, usdLimit: nil, tokensLimit: 100) == false)
        await store.close()
    }

    @Test func postgresURLErrorsSayWhatIsWrong() async {
        for (url, words) in [("mysql://x@h/db", "postgres://"), ("postgres://h:5432/db", "no user")] {
            do {
                _ = try await PostgresLedgerStore(url: url)
                Issue.record("accepted \(url)")
            } catch {
                #expect(error.description.contains(words), "\(error.description)")
            }
        }
    }
}

/// Collects what a writer reported (a lock: the callback runs on the writer's executor).
final class ReportedEntries: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ count: Int, _ why: String) { lines.withLock { $0.append("\(count) \(why)") } }
    func snapshot() -> [String] { lines.withLock { $0 } }
}
