import ArgumentParser
import SluiceCore
import SluiceEngineModel
import SluiceSimulator

/// Options of an elastic fleet: the autoscaler, the pool bounds and the cold-start model.
struct ScalingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Autoscaler sizing each pool: \(AutoscalerRegistry.names.joined(separator: ", ")) (default: none, a static fleet).",
            valueName: "NAME"))
    var autoscaler: String?

    @Option(
        name: .customLong("autoscaler-option"),
        help: ArgumentHelp(
            "Override an autoscaler parameter, KEY=VALUE; repeatable.",
            discussion: "concurrency: target, stable-window, panic-window, panic-threshold, scale-down-delay, scale-to-zero-grace, tick; queue-slo: target-attainment, high-kv, low-kv, keep-alive, epoch; bandit: learner, cost-weight, cost-budget, epoch (seconds between arm choices), discount, exploration, horizon (segments to wait for outcomes), horizon-discount; fixed: replicas.",
            valueName: "KEY=VALUE"))
    var autoscalerOptions: [String] = []

    @Option(help: "With --autoscaler: replicas each pool may grow to (the warm ones at start are --replicas or --fleet's counts).")
    var maxReplicas: Int?

    @Option(help: "With --autoscaler: replicas each pool keeps provisioned.")
    var minReplicas = 0

    @Option(help: ArgumentHelp("Where weights load from on a cold start: remote, local-disk or host-memory.", valueName: "TIER"))
    var coldStartTier = "local-disk"

    @Option(help: "Engine start on a cold start besides loading weights, seconds.")
    var engineStart = ColdStartModel.defaultEngineStartSeconds

    @Option(
        help: ArgumentHelp(
            "Physical GPUs, TYPE=COUNT[,TYPE=COUNT]: replicas are placed in GPU memory regions (--gpu-memory-utilization is each one's share), may share GPUs, and GPUs are billed while occupied.",
            valueName: "SPEC"))
    var gpuInventory: String?

    @Flag(help: "Rent every replica as spot capacity: the GPU's spot price (catalog spotPricePerHourUSD, else 35% of on-demand).")
    var spot = false

    @Option(help: "With --spot: provider reclaims per replica-hour (Poisson); a reclaimed replica's requests are re-dispatched.")
    var spotInterruptionsPerHour = 0.0

    @Option(
        help: ArgumentHelp(
            "A tenant's budget, TENANT:usd=N,tokens=N,period=SECONDS,over=reject|downgrade; repeatable (tenant: the trace's, else the SLO class).",
            valueName: "SPEC"))
    var budget: [String] = []

    /// The cold-start model. - Throws: for an unknown tier or a negative start.
    func coldStart() throws -> ColdStartModel {
        guard let tier = StorageTier(rawValue: coldStartTier.lowercased()) else {
            throw SluiceError.unknownName(kind: "storage tier", name: coldStartTier, valid: StorageTier.allCases.map(\.rawValue))
        }
        guard engineStart >= 0, engineStart.isFinite else {
            throw SluiceError.invalidValue(field: "--engine-start", value: "\(engineStart)", allowed: "seconds >= 0")
        }
        return ColdStartModel(tier: tier, engineStartSeconds: engineStart)
    }

    /// `specs` (the warm replicas) made elastic: each pool grows to `--max-replicas` with cold replicas.
    func elastic(_ specs: [ReplicaSpec]) throws -> [ReplicaSpec] {
        guard spotInterruptionsPerHour >= 0, spotInterruptionsPerHour.isFinite else {
            throw SluiceError.invalidValue(field: "--spot-interruptions-per-hour", value: "\(spotInterruptionsPerHour)", allowed: "a rate >= 0")
        }
        let specs = specs.map { s -> ReplicaSpec in
            var s = s
            if spot { s.spot = SpotTerms(interruptionsPerHour: spotInterruptionsPerHour) }
            return s
        }
        guard autoscaler != nil else { return specs }
        let model = try coldStart()
        guard minReplicas >= 0 else { throw SluiceError.invalidValue(field: "--min-replicas", value: "\(minReplicas)", allowed: "an integer >= 0") }
        var out: [ReplicaSpec] = []
        var seen: [String] = []
        for spec in specs {
            var s = spec
            s.coldStart = model
            out.append(s)
            let pool = spec.pool ?? spec.deployment.label
            if !seen.contains(pool) { seen.append(pool) }
        }
        if let maxReplicas {
            for pool in seen {
                let members = out.filter { ($0.pool ?? $0.deployment.label) == pool }
                guard maxReplicas >= members.count else {
                    throw SluiceError.invalidValue(
                        field: "--max-replicas", value: "\(maxReplicas)", allowed: "at least the \(members.count) warm replicas of pool \(pool)")
                }
                var cold = members[0]
                cold.initiallyWarm = false
                out += Array(repeating: cold, count: maxReplicas - members.count)
            }
        }
        return out
    }

    /// Applies the autoscaler settings to `simulation`.
    func configure(_ simulation: inout Simulation) throws {
        if let gpuInventory {
            var counts: [String: Int] = [:]
            for part in gpuInventory.split(separator: ",") {
                let kv = part.split(separator: "=").map(String.init)
                guard kv.count == 2, let n = Int(kv[1]), n >= 0, counts[kv[0]] == nil else {
                    throw SluiceError.invalidValue(field: "--gpu-inventory", value: String(part), allowed: "TYPE=COUNT, each type once, e.g. a100-80g=4")
                }
                counts[kv[0]] = n
            }
            simulation.gpuInventory = counts
        }
        for spec in budget {
            let (tenant, b) = try TenantBudget.parse(spec)
            guard simulation.budgets[tenant] == nil else {
                throw SluiceError.invalidValue(field: "--budget", value: spec, allowed: "one budget per tenant ('\(tenant)' repeats)")
            }
            simulation.budgets[tenant] = b
        }
        guard let autoscaler else { return }
        simulation.autoscaler = autoscaler
        simulation.autoscalerOptions = try SchedulerOptions(parsing: autoscalerOptions)
        simulation.minReplicas = minReplicas
        _ = try AutoscalerRegistry.make(named: autoscaler, options: simulation.autoscalerOptions, initialReplicas: 1)
    }
}
