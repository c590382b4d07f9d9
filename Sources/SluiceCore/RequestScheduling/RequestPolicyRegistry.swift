/// The request-level schedulers users pick by name (`--request-scheduler NAME`).
public enum RequestPolicyRegistry: Sendable {
    /// One registered policy.
    public struct Entry: Sendable {
        /// Name on the command line.
        public let name: String
        /// One-line description.
        public let summary: String
        /// Whether the policy reads predicted output lengths (the simulator then runs a predictor).
        public let usesPredictor: Bool
        /// Keys of `--request-option` it accepts.
        public let optionKeys: [String]
        /// Makes a policy for one instance (`seed` is that instance's stream).
        public let make: @Sendable (_ seed: UInt64, _ options: SchedulerOptions) throws(SluiceError) -> any RequestQueuePolicy

        /// A policy after checking option keys. - Throws: ``SluiceError`` for a bad option.
        public func instantiate(seed: UInt64, options: SchedulerOptions) throws(SluiceError) -> any RequestQueuePolicy {
            try options.validate(scheduler: name, allowed: optionKeys)
            return try make(seed, options)
        }
    }

    /// All registered policies.
    public static let entries: [Entry] = [
        Entry(name: "fcfs", summary: "first come first served (vLLM's default order)", usesPredictor: false, optionKeys: [],
              make: { _, _ in OrderingPolicy(.fcfs) }),
        Entry(name: "edf", summary: "earliest SLO deadline first (first token for interactive, answer for end-to-end)",
              usesPredictor: false, optionKeys: [], make: { _, _ in OrderingPolicy(.edf) }),
        Entry(name: "sjf", summary: "shortest predicted job first (predicted output, then prompt)", usesPredictor: true,
              optionKeys: [], make: { _, _ in OrderingPolicy(.sjf) }),
        Entry(name: "priority", summary: "interactive SLO class before end-to-end class, FCFS within", usesPredictor: false,
              optionKeys: [], make: { _, _ in OrderingPolicy(.priority) }),
        Entry(name: "sa-slo", summary: "simulated annealing of the priority order and concurrency for G = met / Σ latency (arXiv 2504.14966)",
              usesPredictor: true, optionKeys: AnnealingOrderPolicy.optionKeys,
              make: { seed, options throws(SluiceError) in AnnealingOrderPolicy(parameters: try .init(options), seed: seed) }),
    ]

    /// Registered names.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`. - Throws: ``SluiceError`` listing the valid names.
    public static func entry(named name: String) throws(SluiceError) -> Entry {
        guard let e = entries.first(where: { $0.name == name.lowercased() }) else {
            throw .unknownName(kind: "request scheduler", name: name, valid: names)
        }
        return e
    }
}

extension AnnealingOrderPolicy {
    /// `--request-option` keys of `sa-slo`.
    public static let optionKeys = ["evaluations", "rounds", "temperature", "final-temperature", "insert-share", "concurrency-shares", "min-throughput", "min-queue", "window", "met-offset", "move-distance"]
}

extension AnnealingOrderPolicy.Parameters {
    /// The defaults with the overrides of `options` (`concurrency-shares=0.25,0.5,1`).
    public init(_ options: SchedulerOptions) throws(SluiceError) {
        self.init()
        evaluationsPerRound = try options.int("evaluations", evaluationsPerRound, in: 0...1_000_000)
        rounds = try options.int("rounds", rounds, in: 1...100)
        initialTemperature = try options.double("temperature", initialTemperature, in: 0...100)
        finalTemperatureRatio = try options.double("final-temperature", finalTemperatureRatio, in: 1e-12...1)
        insertMoveShare = try options.double("insert-share", insertMoveShare, in: 0...1)
        minimumQueueToAnneal = try options.int("min-queue", minimumQueueToAnneal, in: 2...1_000_000)
        minimumThroughputShare = try options.double("min-throughput", minimumThroughputShare, in: 0...1)
        window = try options.int("window", window, in: 2...1_000_000)
        metOffset = try options.double("met-offset", metOffset, in: 0...1_000_000)
        maxMoveDistance = try options.int("move-distance", maxMoveDistance, in: 1...1_000_000)
        if let text = options.values["concurrency-shares"] {
            let shares = text.split(separator: ",").compactMap { Double($0) }
            guard !shares.isEmpty, shares.count == text.split(separator: ",").count, shares.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
                throw .invalidValue(
                    field: "--request-option concurrency-shares", value: text, allowed: "comma-separated fractions in (0, 1], e.g. 0.25,0.5,1")
            }
            concurrencyShares = shares
        }
    }
}
