import Crypto
import Foundation
import HTTPTypes
import SluiceCore
import SluiceLedger
import Synchronization

/// The gateway's tenants: API keys stored only as SHA-256 hashes, from the configuration and from the tenant store
/// (`sluice tenants add`, reloaded every few seconds), and each tenant's token/USD budget per period.
///
/// Budgets: a request reserves its worst case (the prompt estimate plus `max_tokens`, and that output's cost on the
/// dearest upstream of its model) before it is forwarded, and is settled to the tokens and cost it actually used; over
/// budget it gets 429 with the seconds until the period resets. One gateway keeps the accounts in SluiceCore's
/// ``BudgetLedger`` (the code the simulator checks budgets with), restored from the cost ledger at start; several
/// replicas share them through a ``BudgetStore`` (PostgreSQL) whose reservations are atomic.
actor TenantRegistry {
    struct Tenant: Sendable {
        var name: String
        var keySHA256: String
        var budget: TenantBudget?
        var sloClass: String?
        var requestsPerMinute: Int?
    }

    /// Per tenant with a request rate: requests it may still send now (a token bucket holding a minute's worth).
    private var buckets: [String: (tokens: Double, lastSeconds: Double)] = [:]

    private var byKeyHash: [String: Tenant] = [:]
    private var ledger = BudgetLedger(budgets: [:])
    private let configured: [Tenant]
    private let shared: (any BudgetStore)?
    /// Store records that could not be used, by tenant name, with why (reported once each).
    private(set) var rejectedRecords: [String: String] = [:]

    init(_ tenants: [GatewayConfig.TenantConfig], shared: (any BudgetStore)? = nil) {
        configured = tenants.map {
            Tenant(name: $0.name, keySHA256: $0.keySHA256.lowercased(), budget: $0.budget, requestsPerMinute: $0.requestsPerMinute)
        }
        self.shared = shared
        var ledger = BudgetLedger(budgets: [:])
        for t in configured {
            byKeyHash[t.keySHA256] = t
            ledger.setBudget(t.budget, for: t.name)
        }
        self.ledger = ledger
        anyTenant.store(!configured.isEmpty, ordering: .relaxed)
    }

    /// Replaces the store's tenants (the configuration's stay; a store tenant with a configured name is ignored).
    /// - Returns: newly rejected records with why (a malformed budget or key), for the log.
    @discardableResult
    func load(stored records: [TenantRecord]) -> [(String, String)] {
        var fresh: [(String, String)] = []
        let configuredNames = Set(configured.map(\.name))
        byKeyHash = [:]
        var budgets: [String: TenantBudget?] = [:]
        for t in configured {
            byKeyHash[t.keySHA256] = t
            budgets[t.name] = t.budget
        }
        for r in records where !configuredNames.contains(r.name) {
            var budget: TenantBudget?
            if let spec = r.budget {
                do { budget = try TenantBudget.parse("\(r.name):\(spec)").budget } catch {
                    if rejectedRecords[r.name] == nil { fresh.append((r.name, error.description)) }
                    rejectedRecords[r.name] = error.description
                    continue
                }
            }
            byKeyHash[r.keySHA256.lowercased()] = Tenant(
                name: r.name, keySHA256: r.keySHA256.lowercased(), budget: budget, sloClass: r.sloClass, requestsPerMinute: r.requestsPerMinute)
            budgets[r.name] = budget
        }
        for name in Set(ledger.budgets.keys).subtracting(budgets.keys) { ledger.setBudget(nil, for: name) }
        for (name, budget) in budgets where ledger.budgets[name] != budget { ledger.setBudget(budget, for: name) }
        anyTenant.store(!byKeyHash.isEmpty, ordering: .relaxed)
        return fresh
    }

    /// Tenants with a budget and the start of their current period, seconds since 1970.
    func budgetPeriods(now: Double) -> [(tenant: String, periodStart: Double)] {
        ledger.budgets.map { ($0.key, (now / $0.value.periodSeconds).rounded(.down) * $0.value.periodSeconds) }
    }

    /// Charges spending recorded before this process started (the in-process accounts only).
    func restore(tenant: String, spend: Spend, now: Double) {
        guard shared == nil else { return }
        ledger.charge(tenant: tenant, usd: spend.usd, tokens: spend.tokens, now: now)
    }

    /// Whether requests must carry a known key.
    var requiresKey: Bool { !byKeyHash.isEmpty }

    /// Whether any tenant is known (read without a hop to the actor: the request path skips authentication when none).
    nonisolated var mayRequireKey: Bool { anyTenant.load(ordering: .relaxed) }
    private nonisolated let anyTenant = Atomic<Bool>(false)

    /// SHA-256 of a key, lower-case hex (what the configuration stores).
    static func hash(_ key: String) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(key.utf8)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }

    /// The tenant of an `Authorization: Bearer KEY` header (`nil` when no key is required), with its default SLO class.
    /// - Throws: ``OpenAIError`` 401 when a key is required and missing or unknown, 429 `rate_limited` (with
    ///   `Retry-After`) when the tenant is over its requests per minute.
    func authenticate(_ authorization: String?) throws(OpenAIError) -> (name: String, sloClass: String?)? {
        guard requiresKey else { return nil }
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw OpenAIError(.unauthorized, "missing API key: send 'Authorization: Bearer KEY'", code: "invalid_api_key")
        }
        let key = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let tenant = byKeyHash[Self.hash(key)] else {
            throw OpenAIError(.unauthorized, "unknown API key", code: "invalid_api_key")
        }
        if let rpm = tenant.requestsPerMinute, rpm > 0 {
            let now = GatewayClock.monotonicSeconds()
            let capacity = Double(rpm)
            var b = buckets[tenant.name] ?? (capacity, now)
            b.tokens = min(capacity, b.tokens + (now - b.lastSeconds) * capacity / 60)
            b.lastSeconds = now
            guard b.tokens >= 1 else {
                buckets[tenant.name] = b
                var error = OpenAIError(
                    .tooManyRequests, "tenant \(tenant.name) is over its \(rpm) requests per minute", type: "rate_limit_error",
                    code: "rate_limited", retryAfterSeconds: max(1, Int(((1 - b.tokens) * 60 / capacity).rounded(.up))))
                error.tenant = tenant.name
                throw error
            }
            b.tokens -= 1
            buckets[tenant.name] = b
        }
        return (tenant.name, tenant.sloClass)
    }

    /// What is left of `tenant`'s budget in the current period, USD and tokens (`nil`: no such limit, or the accounts
    /// live in a shared store this replica does not hold).
    func remaining(tenant: String, now: Double) -> (usd: Double?, tokens: Double?) {
        guard shared == nil, let budget = ledger.budgets[tenant] else { return (nil, nil) }
        let account = ledger.accounts[tenant]
        let current = account?.period == ledger.period(tenant: tenant, now: now)
        let usedUSD = current ? account?.usd ?? 0 : 0
        let usedTokens = current ? account?.tokens ?? 0 : 0
        return (budget.usdPerPeriod.map { max(0, $0 - usedUSD) }, budget.tokensPerPeriod.map { max(0, $0 - usedTokens) })
    }

    /// Tenants with a budget.
    var budgetedTenants: [String] { ledger.budgets.keys.sorted() }

    /// What a tenant's budget does with a request over it (`reject` without a budget).
    func overflow(of tenant: String) -> TenantBudget.Overflow { ledger.budgets[tenant]?.overflow ?? .reject }

    /// A reservation to settle later.
    struct Reservation: Sendable {
        var tenant: String
        var period: Int
        var tokens: Double
        var usd: Double
    }

    /// Reserves `tokens` and `usd` for `tenant` (`nil` when it has no budget). `finalAttempt: false` is a reservation
    /// that a downgrade may still retry elsewhere: its refusal is not counted (``recordDowngrade(tenant:)`` counts the
    /// retry that fits), as in the simulator.
    /// - Throws: ``OpenAIError`` 429 with `Retry-After` when over budget, 503 when the shared store is unreachable.
    func reserve(tenant: String, tokens: Double, usd: Double, now: Double, finalAttempt: Bool = true) async throws(OpenAIError) -> Reservation? {
        guard let budget = ledger.budgets[tenant] else { return nil }
        // A worst case larger than the whole budget can never fit, however long the client waits: say so, and how to fix it.
        if let limit = budget.tokensPerPeriod, tokens > limit {
            if finalAttempt { ledger.count(tenant: tenant, rejected: true) }
            throw OpenAIError(
                .badRequest,
                "the request may use \(Int(tokens)) tokens (prompt + max_tokens), more than tenant \(tenant)'s whole budget of \(Int(limit)) per period; lower max_tokens",
                code: "request_exceeds_budget")
        }
        if let limit = budget.usdPerPeriod, usd > limit {
            if finalAttempt { ledger.count(tenant: tenant, rejected: true) }
            throw OpenAIError(
                .badRequest, "the request may cost $\(usd), more than tenant \(tenant)'s whole budget of $\(limit) per period; lower max_tokens",
                code: "request_exceeds_budget")
        }
        let period = ledger.period(tenant: tenant, now: now)
        let fits: Bool
        if let shared {
            do {
                fits = try await shared.reserve(
                    tenant: tenant, period: period, usd: usd, tokens: tokens, usdLimit: budget.usdPerPeriod, tokensLimit: budget.tokensPerPeriod)
            } catch {
                throw OpenAIError(.serviceUnavailable, "the budget store is unreachable: \(error.description)", type: "server_error",
                                  code: "budget_store_unavailable", retryAfterSeconds: 1)
            }
        } else {
            fits = ledger.reserve(tenant: tenant, usd: usd, tokens: tokens, now: now)
        }
        guard fits else {
            if finalAttempt { ledger.count(tenant: tenant, rejected: true) }
            let periodEnd = Double(period + 1) * budget.periodSeconds
            throw OpenAIError(
                .tooManyRequests, "tenant \(tenant) is over its budget for this period", type: "rate_limit_error", code: "budget_exceeded",
                retryAfterSeconds: max(1, Int((periodEnd - now).rounded(.up))))
        }
        return Reservation(tenant: tenant, period: period, tokens: tokens, usd: usd)
    }

    /// A request over its budget on the first choice was reserved on a cheaper upstream instead.
    func recordDowngrade(tenant: String) { ledger.count(tenant: tenant, rejected: false) }

    /// Budget refusals and downgrades counted for `tenant` by this gateway.
    func decisions(tenant: String) -> (rejected: Int, downgraded: Int) {
        let a = ledger.accounts[tenant]
        return (a?.rejected ?? 0, a?.downgraded ?? 0)
    }

    /// Settles a reservation to what was used.
    /// - Returns: what is left of the tenant's budget afterwards (``remaining(tenant:now:)``), in the same hop.
    @discardableResult
    func settle(_ r: Reservation, tokens: Double, usd: Double, now: Double) async -> (usd: Double?, tokens: Double?) {
        if let shared {
            // A failure here leaves the worst case charged: conservative, never an overspend.
            try? await shared.adjust(tenant: r.tenant, period: r.period, usd: usd - r.usd, tokens: tokens - r.tokens)
        } else {
            ledger.settle(tenant: r.tenant, period: r.period, reservedUSD: r.usd, reservedTokens: r.tokens, usd: usd, tokens: tokens)
        }
        return remaining(tenant: r.tenant, now: now)
    }
}

/// API-key helpers for operators.
public enum APIKeys: Sendable {
    /// The SHA-256 of a key as the configuration stores it (lower-case hex).
    public static func sha256Hex(_ key: String) -> String { TenantRegistry.hash(key) }

    /// A new random key (`sk-sluice-` and 32 hex digits).
    public static func generate() -> String {
        var g = SystemRandomNumberGenerator()
        return "sk-sluice-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &g)) }.joined()
    }
}
