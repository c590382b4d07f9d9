/// The autoscalers users pick by name (`--autoscaler NAME`, `--autoscaler-option KEY=VALUE`).
public enum AutoscalerRegistry: Sendable {
    /// Registered names.
    public static let names = ["fixed", "concurrency", "queue-slo", "bandit"]

    /// Makes one autoscaler for a pool that starts with `initialReplicas`.
    /// - Throws: ``SluiceError`` for an unknown name or a bad option.
    public static func make(named name: String, options: SchedulerOptions, initialReplicas: Int, seed: UInt64 = 0) throws(SluiceError) -> any Autoscaler {
        switch name.lowercased() {
        case "fixed":
            try options.validate(scheduler: "fixed", allowed: ["replicas"])
            return FixedAutoscaler(replicas: try options.int("replicas", initialReplicas, in: 0...100_000))
        case "concurrency":
            try options.validate(scheduler: "concurrency", allowed: ["target", "stable-window", "panic-window", "panic-threshold", "scale-down-delay", "scale-to-zero-grace", "tick"])
            var p = ConcurrencyTargetAutoscaler.Parameters()
            p.targetConcurrency = try options.double("target", p.targetConcurrency, in: 0.01...1e6)
            p.stableWindowSeconds = try options.double("stable-window", p.stableWindowSeconds, in: 0.001...1e6)
            p.panicWindowSeconds = try options.double("panic-window", p.panicWindowSeconds, in: 0.001...1e6)
            p.panicThreshold = try options.double("panic-threshold", p.panicThreshold, in: 1...1e6)
            p.scaleDownDelaySeconds = try options.double("scale-down-delay", p.scaleDownDelaySeconds, in: 0...1e6)
            p.scaleToZeroGraceSeconds = try options.double("scale-to-zero-grace", p.scaleToZeroGraceSeconds, in: 0...1e6)
            p.tickSeconds = try options.double("tick", p.tickSeconds, in: 0.001...1e6)
            return ConcurrencyTargetAutoscaler(parameters: p)
        case "queue-slo":
            try options.validate(scheduler: "queue-slo", allowed: ["target-attainment", "high-kv", "low-kv", "keep-alive", "epoch"])
            var p = QueueSLOAutoscaler.Parameters()
            p.targetAttainment = try options.double("target-attainment", p.targetAttainment, in: 0...1)
            p.highKVUtilization = try options.double("high-kv", p.highKVUtilization, in: 0...1)
            p.lowKVUtilization = try options.double("low-kv", p.lowKVUtilization, in: 0...1)
            p.keepAliveSeconds = try options.double("keep-alive", p.keepAliveSeconds, in: 0...1e6)
            p.epochSeconds = try options.double("epoch", p.epochSeconds, in: 0.001...1e6)
            return QueueSLOAutoscaler(parameters: p)
        case "bandit":
            try options.validate(scheduler: "bandit", allowed: ["learner", "cost-weight", "cost-budget", "epoch", "discount", "exploration", "horizon", "horizon-discount"])
            var p = DeepServeAgent.Parameters()
            let learner = try options.choice("learner", p.bandit.learner.rawValue, allowed: LinearBandit.Learner.allCases.map(\.rawValue))
            p.bandit.learner = LinearBandit.Learner(rawValue: learner) ?? .linUCB
            p.costWeight = try options.double("cost-weight", p.costWeight, in: 0...1e6)
            if options.values["cost-budget"] != nil { p.costBudgetUSDPerHour = try options.double("cost-budget", 0, in: 1e-9...1e9) }
            p.segmentSeconds = try options.double("epoch", p.segmentSeconds, in: 0.001...1e6)
            p.bandit.discount = try options.double("discount", p.bandit.discount, in: 0.5...1)
            p.bandit.explorationWidth = try options.double("exploration", p.bandit.explorationWidth, in: 0...1e3)
            p.outcomeLagSegments = try options.int("horizon", p.outcomeLagSegments, in: 0...10_000)
            p.horizonDiscount = try options.double("horizon-discount", p.horizonDiscount, in: 0.01...1)
            return DeepServeAgent(parameters: p, seed: seed)
        default:
            throw .unknownName(kind: "autoscaler", name: name, valid: names)
        }
    }
}
