/// A tenant's spending limits per period (LiteLLM-style budgets, PEERS.md): USD and/or tokens, reset every
/// `periodSeconds` from time 0, and what happens to a request that would exceed them.
public struct TenantBudget: Sendable, Hashable {
    /// What to do with a request over budget.
    public enum Overflow: String, Sendable, Hashable, CaseIterable {
        /// Refuse it (a 429 at a gateway).
        case reject
        /// Serve it on the cheapest pool if that fits the budget, else refuse it.
        case downgrade
    }

    /// USD per period (`nil`: no USD limit).
    public var usdPerPeriod: Double?
    /// Tokens (prompt + output) per period (`nil`: no token limit).
    public var tokensPerPeriod: Double?
    /// Period, seconds.
    public var periodSeconds: Double
    /// Over-budget behaviour.
    public var overflow: Overflow

    /// Creates a budget.
    public init(usdPerPeriod: Double? = nil, tokensPerPeriod: Double? = nil, periodSeconds: Double = 3600, overflow: Overflow = .reject) {
        self.usdPerPeriod = usdPerPeriod
        self.tokensPerPeriod = tokensPerPeriod
        self.periodSeconds = periodSeconds
        self.overflow = overflow
    }

    /// Parses `TENANT:usd=N,tokens=N,period=S,over=reject|downgrade` (at least one of usd and tokens).
    /// - Throws: ``SluiceError`` naming the bad part.
    public static func parse(_ spec: String) throws(SluiceError) -> (tenant: String, budget: TenantBudget) {
        let form = "TENANT:usd=N,tokens=N,period=SECONDS,over=reject|downgrade"
        guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex else {
            throw .invalidValue(field: "--budget", value: spec, allowed: form)
        }
        let tenant = String(spec[..<colon])
        var budget = TenantBudget()
        for part in spec[spec.index(after: colon)...].split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw .invalidValue(field: "--budget", value: String(part), allowed: form) }
            switch kv[0] {
            case "usd", "tokens", "period":
                guard let v = Double(kv[1]), v > 0, v.isFinite else {
                    throw .invalidValue(field: "--budget \(kv[0])", value: kv[1], allowed: "a positive number")
                }
                if kv[0] == "usd" { budget.usdPerPeriod = v } else if kv[0] == "tokens" { budget.tokensPerPeriod = v } else { budget.periodSeconds = v }
            case "over":
                guard let o = Overflow(rawValue: kv[1]) else {
                    throw .invalidValue(field: "--budget over", value: kv[1], allowed: Overflow.allCases.map(\.rawValue).joined(separator: ", "))
                }
                budget.overflow = o
            default:
                throw .invalidValue(field: "--budget", value: kv[0], allowed: "usd, tokens, period or over")
            }
        }
        guard budget.usdPerPeriod != nil || budget.tokensPerPeriod != nil else {
            throw .invalidValue(field: "--budget", value: spec, allowed: "at least one of usd= and tokens= (\(form))")
        }
        return (tenant, budget)
    }
}

/// The price of tokens on a deployment, from its step-time model at peak efficiency: a prompt token at the marginal
/// cost of a large prefill chunk, an output token at the per-sequence cost of a full decode batch. These are the
/// list prices a tenant is charged (what the GPU time costs when the fleet is used well).
public struct TokenPricing: Sendable, Hashable {
    /// USD per prompt token.
    public var usdPerPromptToken: Double
    /// USD per output token.
    public var usdPerOutputToken: Double

    /// Prompt tokens in the chunk that prices prefill.
    public static let pricingChunkTokens = 2048
    /// Context assumed for pricing decode, tokens.
    public static let pricingContextTokens = 1024

    /// The pricing of `deployment` under `stepModel`, at `pricePerHourUSD` (default: its on-demand price).
    public init(deployment: Deployment, stepModel: any StepTimeModel, pricePerHourUSD: Double? = nil) {
        var prefill = BatchShape()
        prefill.addPrefill(newTokens: Self.pricingChunkTokens, contextTokens: 0)
        let batch = max(1, deployment.limits.maxRunningSequences)
        var decode = BatchShape()
        decode.decodeSequences = batch
        decode.decodeContextTokens = batch * Self.pricingContextTokens
        let perSecond = (pricePerHourUSD ?? deployment.pricePerHourUSD) / 3600
        usdPerPromptToken = perSecond * stepModel.stepSeconds(prefill) / Double(Self.pricingChunkTokens)
        usdPerOutputToken = perSecond * stepModel.stepSeconds(decode) / Double(batch)
    }

    /// The charge for a request, USD.
    public func charge(promptTokens: Int, outputTokens: Int) -> Double {
        Double(promptTokens) * usdPerPromptToken + Double(outputTokens) * usdPerOutputToken
    }
}

/// Tenants' spending against their budgets. A request reserves its worst case (prompt plus the output cap) when it
/// is admitted and is settled to its actual tokens when it ends, so a tenant's spending never exceeds its budget in
/// any period, whatever the outputs turn out to be.
public struct BudgetLedger: Sendable {
    /// One tenant's account.
    public struct Account: Sendable, Hashable {
        /// Period the figures belong to.
        public var period = 0
        /// USD spent or reserved in the period.
        public var usd = 0.0
        /// Tokens spent or reserved in the period.
        public var tokens = 0.0
        /// USD spent over the whole run (settled).
        public var totalUSD = 0.0
        /// Tokens over the whole run (settled).
        public var totalTokens = 0.0
        /// Requests refused for the budget.
        public var rejected = 0
        /// Requests moved to the cheapest pool.
        public var downgraded = 0
        /// Highest share of the USD (or token) budget in use in any period.
        public var peakShare = 0.0
    }

    /// The budgets.
    public private(set) var budgets: [String: TenantBudget]
    /// Accounts by tenant.
    public private(set) var accounts: [String: Account] = [:]

    /// Creates a ledger.
    public init(budgets: [String: TenantBudget]) { self.budgets = budgets }

    private mutating func rolled(_ tenant: String, now: Double) -> Account {
        var a = accounts[tenant] ?? Account()
        if let b = budgets[tenant] {
            let period = Int((now / b.periodSeconds).rounded(.down))
            if period != a.period {
                a.period = period
                a.usd = 0
                a.tokens = 0
            }
        }
        return a
    }

    /// Reserves a request's worst case for `tenant` at `now`. - Returns: whether it fits the budget (nothing is
    /// reserved when it does not).
    public mutating func reserve(tenant: String, usd: Double, tokens: Double, now: Double) -> Bool {
        guard let b = budgets[tenant] else { return true }
        var a = rolled(tenant, now: now)
        if let limit = b.usdPerPeriod, a.usd + usd > limit {
            accounts[tenant] = a
            return false
        }
        if let limit = b.tokensPerPeriod, a.tokens + tokens > limit {
            accounts[tenant] = a
            return false
        }
        a.usd += usd
        a.tokens += tokens
        a.peakShare = max(a.peakShare, b.usdPerPeriod.map { a.usd / $0 } ?? 0, b.tokensPerPeriod.map { a.tokens / $0 } ?? 0)
        accounts[tenant] = a
        return true
    }

    /// Settles a reservation made in period `period` to what the request actually used.
    public mutating func settle(tenant: String, period: Int, reservedUSD: Double, reservedTokens: Double, usd: Double, tokens: Double) {
        guard budgets[tenant] != nil, var a = accounts[tenant] else { return }
        if a.period == period {
            a.usd += usd - reservedUSD
            a.tokens += tokens - reservedTokens
        }
        a.totalUSD += usd
        a.totalTokens += tokens
        accounts[tenant] = a
    }

    /// Sets (or with `nil` removes) `tenant`'s budget; its spending so far in the period is kept.
    public mutating func setBudget(_ budget: TenantBudget?, for tenant: String) {
        budgets[tenant] = budget
    }

    /// Charges `usd` and `tokens` already spent in the period of `now` (restoring the spending a ledger recorded
    /// before a restart), whether or not it fits.
    public mutating func charge(tenant: String, usd: Double, tokens: Double, now: Double) {
        guard budgets[tenant] != nil else { return }
        var a = rolled(tenant, now: now)
        a.usd += usd
        a.tokens += tokens
        accounts[tenant] = a
    }

    /// Counts a refusal or a downgrade.
    public mutating func count(tenant: String, rejected: Bool) {
        var a = accounts[tenant] ?? Account()
        if rejected { a.rejected += 1 } else { a.downgraded += 1 }
        accounts[tenant] = a
    }

    /// The period index of `now` for `tenant`.
    public func period(tenant: String, now: Double) -> Int {
        guard let b = budgets[tenant] else { return 0 }
        return Int((now / b.periodSeconds).rounded(.down))
    }
}
