import Crypto
import Foundation
import HTTPTypes
import SluiceCore

/// The gateway's tenants: API keys stored only as SHA-256 hashes, and each tenant's token/USD budget per period
/// (SluiceCore's ``BudgetLedger``, the code the simulator checks budgets with). A request reserves its worst case (the
/// prompt estimate plus `max_tokens`) before it is forwarded and is settled to the upstream's reported usage; over
/// budget it gets 429 with the seconds until the period resets.
actor TenantRegistry {
    struct Tenant: Sendable {
        var name: String
        var keySHA256: String
        var budget: TenantBudget?
    }

    private let byKeyHash: [String: Tenant]
    private var ledger: BudgetLedger
    /// Whether requests must carry a known key.
    nonisolated let requiresKey: Bool

    init(_ tenants: [GatewayConfig.TenantConfig]) {
        var map: [String: Tenant] = [:]
        var budgets: [String: TenantBudget] = [:]
        for t in tenants {
            map[t.keySHA256.lowercased()] = Tenant(name: t.name, keySHA256: t.keySHA256.lowercased(), budget: t.budget)
            if let b = t.budget { budgets[t.name] = b }
        }
        byKeyHash = map
        ledger = BudgetLedger(budgets: budgets)
        requiresKey = !tenants.isEmpty
    }

    /// SHA-256 of a key, lower-case hex (what the configuration stores).
    static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The tenant of an `Authorization: Bearer KEY` header. - Throws: ``OpenAIError`` 401 when a key is required
    /// and missing or unknown.
    func authenticate(_ authorization: String?) throws(OpenAIError) -> String? {
        guard requiresKey else { return nil }
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw OpenAIError(.unauthorized, "missing API key: send 'Authorization: Bearer KEY'", code: "invalid_api_key")
        }
        let key = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let tenant = byKeyHash[Self.hash(key)] else {
            throw OpenAIError(.unauthorized, "unknown API key", code: "invalid_api_key")
        }
        return tenant.name
    }

    /// Reserves `tokens` (and `usd`) for `tenant`. - Throws: ``OpenAIError`` 429 with `Retry-After` when over budget.
    func reserve(tenant: String, tokens: Double, usd: Double, now: Double) throws(OpenAIError) -> Int {
        guard let budget = ledger.budgets[tenant] else { return 0 }
        guard ledger.reserve(tenant: tenant, usd: usd, tokens: tokens, now: now) else {
            ledger.count(tenant: tenant, rejected: true)
            let periodEnd = (now / budget.periodSeconds).rounded(.down) * budget.periodSeconds + budget.periodSeconds
            throw OpenAIError(
                .tooManyRequests, "tenant \(tenant) is over its budget for this period", type: "rate_limit_error", code: "budget_exceeded",
                retryAfterSeconds: max(1, Int((periodEnd - now).rounded(.up))))
        }
        return ledger.period(tenant: tenant, now: now)
    }

    /// Settles a reservation to what was used.
    func settle(tenant: String, period: Int, reservedTokens: Double, reservedUSD: Double, tokens: Double, usd: Double) {
        ledger.settle(tenant: tenant, period: period, reservedUSD: reservedUSD, reservedTokens: reservedTokens, usd: usd, tokens: tokens)
    }
}

/// API-key helpers for operators.
public enum APIKeys: Sendable {
    /// The SHA-256 of a key as the configuration stores it (lower-case hex).
    public static func sha256Hex(_ key: String) -> String { TenantRegistry.hash(key) }
}
