extension SLAIScheduler {
    /// `--scheduler-option` keys of the SLAI schedulers.
    public static let optionKeys = [
        "token-budget", "max-running", "max-decodes", "tbt", "order", "strict-first", "strict-threshold", "fixed-offset",
        "offset-below", "offset-above", "memory-limit",
    ]
}

extension SLAIScheduler.Parameters {
    /// `base` with the overrides of `options` (`order=spf|fcfs`, `fixed-offset=none|N`, times in seconds).
    public init(_ base: Self, _ options: SchedulerOptions) throws(SluiceError) {
        self = base
        tokenBudget = try options.int("token-budget", tokenBudget, in: 1...1_000_000)
        maxRunning = try options.int("max-running", maxRunning, in: 1...1_000_000)
        maxDecodes = try options.int("max-decodes", maxDecodes, in: 1...1_000_000)
        defaultTBTSeconds = try options.double("tbt", defaultTBTSeconds, in: 1e-6...1e6)
        let order = try options.choice("order", prefillOrder == .fcfs ? "fcfs" : "spf", allowed: ["spf", "fcfs"])
        prefillOrder = order == "fcfs" ? .fcfs : .shortestPromptFirst
        strictUsersFirst = try options.bool("strict-first", strictUsersFirst)
        strictTBTThresholdSeconds = try options.double("strict-threshold", strictTBTThresholdSeconds, in: 1e-6...1e6)
        if let text = options.values["fixed-offset"], text.lowercased() == "none" {
            fixedOffset = nil
        } else if options.values["fixed-offset"] != nil {
            fixedOffset = try options.double("fixed-offset", 0, in: 0...1e6)
        }
        offsetBelowMemoryLimit = try options.double("offset-below", offsetBelowMemoryLimit, in: 0...1e6)
        offsetAboveMemoryLimit = try options.double("offset-above", offsetAboveMemoryLimit, in: 0...1e6)
        memoryLimit = try options.double("memory-limit", memoryLimit, in: 0...1)
    }
}

extension RADScheduler {
    /// `--scheduler-option` keys of RAD.
    public static let optionKeys = ["tile", "max-tokens", "throughput-share", "prefill-reserve"]
}

extension RADScheduler.Parameters {
    /// The defaults with the overrides of `options`.
    public init(_ options: SchedulerOptions) throws(SluiceError) {
        self.init()
        tileTokens = try options.int("tile", tileTokens, in: 1...65_536)
        maxTokens = try options.int("max-tokens", maxTokens, in: 1...1_000_000)
        throughputShare = try options.double("throughput-share", throughputShare, in: 0.01...1)
        prefillReserveShare = try options.double("prefill-reserve", prefillReserveShare, in: 0...1)
    }
}

extension PredictedLengthScheduler {
    /// `--scheduler-option` keys of the length-aware schedulers (plus `repredict-every`, read by the engine model).
    public static let optionKeys = ["starvation-threshold", "starvation-quantum", "preemption-limit"]
}

extension PredictedLengthScheduler.Parameters {
    /// `base` with the overrides of `options` (`starvation-threshold=none`, `preemption-limit=none` switch them off).
    public init(_ base: Self, _ options: SchedulerOptions) throws(SluiceError) {
        self = base
        if options.values["starvation-threshold"]?.lowercased() == "none" {
            starvationThreshold = nil
        } else if options.values["starvation-threshold"] != nil {
            starvationThreshold = try options.int("starvation-threshold", 0, in: 1...1_000_000_000)
        }
        starvationQuantum = try options.int("starvation-quantum", starvationQuantum, in: 1...1_000_000_000)
        if options.values["preemption-limit"]?.lowercased() == "none" {
            preemptionLimit = nil
        } else if options.values["preemption-limit"] != nil {
            preemptionLimit = try options.double("preemption-limit", 0, in: 0...1e6)
        }
    }
}

extension BookingLimitScheduler {
    /// `--scheduler-option` keys of WAIT and Nested WAIT.
    public static let optionKeys = ["types", "total-limit", "memory-share", "max-hold", "headroom", "rate-window"]
}

extension BookingLimitScheduler.Parameters {
    /// The defaults with the overrides of `options` (`types=PROMPT:OUTPUT:RATE,...`, `total-limit=fluid|memory|N`).
    public init(_ options: SchedulerOptions) throws(SluiceError) {
        self.init()
        if let text = options.values["types"] { types = try PromptType.parseList(text, field: "--scheduler-option types") }
        switch options.values["total-limit"]?.lowercased() {
        case nil, "fluid": totalLimit = .fluid
        case "memory": totalLimit = .memory
        default:
            guard let text = options.values["total-limit"], let n = Int(text), (1...10_000_000).contains(n) else {
                throw .invalidValue(
                    field: "--scheduler-option total-limit", value: options.values["total-limit"] ?? "",
                    allowed: "fluid, memory or a number of requests in 1...10000000")
            }
            totalLimit = .fixed(n)
        }
        headroom = try options.double("headroom", headroom, in: 0...10)
        rateWindowSeconds = try options.double("rate-window", rateWindowSeconds, in: 0.001...86_400)
        memoryShare = try options.double("memory-share", memoryShare, in: 0.01...1)
        maxHoldSeconds = try options.double("max-hold", maxHoldSeconds, in: 0.001...86_400)
    }
}
