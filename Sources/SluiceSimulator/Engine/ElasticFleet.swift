import DequeModule
import SluiceCore
import SluiceEngineModel

/// The replicas' lifecycle and billing, grouped in pools, and the autoscalers that size the pools.
///
/// Without an autoscaler every replica is warm from start to end (a static fleet). With one, each pool (replicas of
/// the same ``ReplicaSpec/pool``) starts with its initially warm replicas; every epoch its autoscaler names the replicas
/// to provision; cold replicas start loading (billed, serving nothing, for their ``ColdStartModel/loadSeconds(_:)``),
/// surplus ones are cancelled if loading or drained if warm (no new requests; cold once empty). Requests that arrive
/// while no replica is warm wait in `pending` and are routed as soon as one is. Billing runs from leaving `cold` to
/// returning to it, or to the end of the run.
final class ElasticFleet {
    struct Pool {
        var name: String
        var replicas: [Int]
        var autoscaler: (any Autoscaler)?
        var coldStartSeconds: Double
        var minReplicas: Int
        var arrivalRate = 0.0
        var lastArrivalSeconds = Double.nan
        var interArrivalMean = 0.0
        var interArrivalSquare = 0.0
        var completed = 0
        var met = 0
        var lastBusySeconds = 0.0
        var meanPromptTokens = 0.0
        var meanOutputTokens = 0.0
    }

    /// Weight of the newest inter-arrival time in the pool's arrival statistics.
    static let arrivalSmoothing = 0.05

    private(set) var pools: [Pool] = []
    private(set) var state: [InstanceState]
    private(set) var billedSeconds: [Double]
    private var billedSince: [Double]
    private var warmAt: [Double]
    private(set) var poolOfReplica: [Int]
    /// Replicas that take requests now, ascending.
    private(set) var routable: [Int] = []
    /// The same, by the model they serve.
    private(set) var routableByModel: [String: [Int]] = [:]
    private let modelOfReplica: [String]
    // GPU placement (only with an inventory): each provisioned replica's regions, and per-GPU billing.
    private(set) var inventory: GPUInventory?
    private var placements: [GPUInventory.Placement?]
    private let footprintBytes: [Double]
    private let gpuType: [String]
    private let gpuCount: [Int]
    private var gpuPrice: [Double] = []
    private var gpuBilledSince: [Double] = []
    private(set) var gpuBilledSeconds: [Double] = []
    /// Cold starts refused for want of a GPU region, and how many of those were fragmentation.
    private(set) var placementFailures = 0
    private(set) var fragmentationFailures = 0
    /// Requests waiting for a warm replica.
    var pending = Deque<Request>()
    /// Whether an autoscaler runs.
    let isElastic: Bool
    /// Cold starts begun.
    private(set) var coldStarts = 0

    init(
        specs: [ReplicaSpec], autoscaler: String?, options: SchedulerOptions, minReplicas: Int, seed: UInt64 = 0, inventory: GPUInventory? = nil
    ) throws(SluiceError) {
        isElastic = autoscaler != nil || inventory != nil
        modelOfReplica = specs.map(\.deployment.model.name)
        self.inventory = inventory
        placements = Array(repeating: nil, count: specs.count)
        footprintBytes = specs.map { $0.deployment.limits.gpuMemoryUtilization * $0.deployment.gpu.memoryBytes }
        gpuType = specs.map(\.deployment.gpu.name)
        gpuCount = specs.map(\.deployment.tensorParallel)
        onDemandPrice = specs.map(\.deployment.pricePerHourUSD)
        if let inventory {
            gpuPrice = Array(repeating: 0, count: inventory.count)
            gpuBilledSince = gpuPrice
            gpuBilledSeconds = gpuPrice
        }
        state = specs.map { autoscaler == nil || $0.initiallyWarm ? .warm : .cold }
        billedSeconds = Array(repeating: 0, count: specs.count)
        billedSince = Array(repeating: 0, count: specs.count)
        warmAt = Array(repeating: .nan, count: specs.count)
        poolOfReplica = Array(repeating: 0, count: specs.count)
        for (i, spec) in specs.enumerated() {
            let name = spec.pool ?? spec.deployment.label
            if let p = pools.firstIndex(where: { $0.name == name }) {
                pools[p].replicas.append(i)
                poolOfReplica[i] = p
            } else {
                pools.append(Pool(name: name, replicas: [i], coldStartSeconds: spec.coldStart.loadSeconds(spec.deployment), minReplicas: minReplicas))
                poolOfReplica[i] = pools.count - 1
            }
        }
        if let autoscaler {
            for p in pools.indices {
                let warm = pools[p].replicas.filter { state[$0] == .warm }.count
                pools[p].autoscaler = try AutoscalerRegistry.make(named: autoscaler, options: options, initialReplicas: warm, seed: seed &+ UInt64(p))
            }
        }
        if self.inventory != nil {
            for r in state.indices where state[r] != .cold {
                guard place(r, now: 0, price: specs[r].deployment.pricePerHourUSD) else {
                    throw .invalidValue(
                        field: "gpu inventory", value: "replica \(r) (\(specs[r].deployment.label)) at start",
                        allowed: "enough \(gpuType[r]) GPUs with a free region of \(Int(footprintBytes[r] / 1_073_741_824)) GiB for every warm replica")
                }
            }
        }
        refreshRoutable()
    }

    /// Places replica `r` on the inventory (always true without one).
    private func place(_ r: Int, now: Double, price: Double) -> Bool {
        guard var inv = inventory else { return true }
        switch inv.place(type: gpuType[r], gpus: gpuCount[r], bytes: footprintBytes[r]) {
        case .success(let p):
            for g in p.gpus where !wasOccupied(g) {
                gpuBilledSince[g] = now
                gpuPrice[g] = price / Double(gpuCount[r])
            }
            placements[r] = p
            inventory = inv
            return true
        case .failure(let e):
            placementFailures += 1
            if e.shortfall == .fragmentation { fragmentationFailures += 1 }
            return false
        }
    }

    private func wasOccupied(_ g: Int) -> Bool {
        placements.contains { $0?.gpus.contains(g) == true }
    }

    /// Frees replica `r`'s regions; GPUs left empty stop billing.
    private func unplace(_ r: Int, now: Double) {
        guard var inv = inventory, let p = placements[r] else { return }
        placements[r] = nil
        inv.release(p)
        inventory = inv
        for g in p.gpus where !wasOccupied(g) { gpuBilledSeconds[g] += now - gpuBilledSince[g] }
    }

    /// The replicas sharing a GPU with `r` (itself excluded).
    func coTenants(of r: Int) -> [Int] {
        guard let p = placements[r] else { return [] }
        return placements.indices.filter { $0 != r && placements[$0]?.gpus.contains { p.gpus.contains($0) } == true }
    }

    private func refreshRoutable() {
        routable.removeAll(keepingCapacity: true)
        for key in routableByModel.keys { routableByModel[key]?.removeAll(keepingCapacity: true) }
        for (i, s) in state.enumerated() where s == .warm {
            routable.append(i)
            routableByModel[modelOfReplica[i], default: []].append(i)
        }
    }

    /// Whether some replica (in any state) serves `model`.
    func serves(_ model: String) -> Bool { modelOfReplica.contains(model) }

    /// Warm replicas that can serve `request`.
    func candidates(for request: Request) -> [Int] {
        guard let model = request.model else { return routable }
        return routableByModel[model] ?? []
    }

    /// The pool that wakes for a request waiting for a replica: the first pool serving its model.
    func pendingPool(for request: Request) -> Int {
        guard let model = request.model else { return 0 }
        return pools.firstIndex { modelOfReplica[$0.replicas[0]] == model } ?? 0
    }

    @discardableResult
    private func transition(_ replica: Int, to new: InstanceState, now: Double) -> Bool {
        let old = state[replica]
        if old == .cold && new != .cold && !place(replica, now: now, price: gpuPriceHint(replica)) { return false }
        if old != .cold && new == .cold { unplace(replica, now: now) }
        if old == .cold && new != .cold { billedSince[replica] = now }
        if old != .cold && new == .cold { billedSeconds[replica] += now - billedSince[replica] }
        state[replica] = new
        if old == .warm || new == .warm { refreshRoutable() }
        return true
    }

    /// The per-replica price a newly placed replica bills its GPUs at (set by the host for spot replicas).
    var replicaPrices: [Double] = []
    private func gpuPriceHint(_ r: Int) -> Double { r < replicaPrices.count ? replicaPrices[r] : onDemandPrice[r] }
    private var onDemandPrice: [Double] = []

    /// Whether a replica of pool `p` is loading.
    func isLoading(pool p: Int) -> Bool { pools[p].replicas.contains { state[$0] == .loading } }

    /// Notes an arrival routed to (or waiting for) `replica`'s pool.
    func recordArrival(pool p: Int, now: Double, promptTokens: Int) {
        let a = Self.arrivalSmoothing
        pools[p].meanPromptTokens += a * (Double(promptTokens) - pools[p].meanPromptTokens)
        if !pools[p].lastArrivalSeconds.isNaN {
            let gap = now - pools[p].lastArrivalSeconds
            pools[p].interArrivalMean += a * (gap - pools[p].interArrivalMean)
            pools[p].interArrivalSquare += a * (gap * gap - pools[p].interArrivalSquare)
            pools[p].arrivalRate = pools[p].interArrivalMean > 0 ? 1 / pools[p].interArrivalMean : 0
        }
        pools[p].lastArrivalSeconds = now
    }

    /// Notes a finished (or rejected) request of `replica`, and tells a learning autoscaler which epoch it belonged to.
    func recordCompletion(_ o: RequestOutcome) {
        guard o.replica >= 0 && o.replica < poolOfReplica.count else { return }
        let p = poolOfReplica[o.replica]
        pools[p].completed += 1
        if o.sloMet { pools[p].met += 1 }
        pools[p].meanOutputTokens += Self.arrivalSmoothing * (Double(o.outputTokens) - pools[p].meanOutputTokens)
        if var a = pools[p].autoscaler {
            a.observe(admittedAtEpoch: Int((o.arrivalSeconds / a.epochSeconds).rounded(.down)), sloMet: o.sloMet)
            pools[p].autoscaler = a
        }
    }


    /// Runs pool `p`'s autoscaler at `now`. - Returns: replicas that started loading, with their warm times.
    func epoch(pool p: Int, now: Double, replicas: [Replica]) -> [(replica: Int, warmAt: Double)] {
        guard var autoscaler = pools[p].autoscaler else { return [] }
        let members = pools[p].replicas
        var warm = 0, loading = 0, draining = 0, inFlight = 0, kv = 0.0
        var looked = 0, hit = 0
        for r in members {
            if let c = replicas[r].prefixCache {
                looked += c.lookedUpTokens
                hit += c.hitTokens
            }
            switch state[r] {
            case .warm:
                warm += 1
                kv += replicas[r].engine.kv.utilization
            case .loading: loading += 1
            case .draining: draining += 1
            case .cold: break
            }
            inFlight += replicas[r].engine.liveCount + replicas[r].requestQueue.count
        }
        let pendingHere = pending.reduce(0) { $0 + (pendingPool(for: $1) == p ? 1 : 0) }
        inFlight += pendingHere
        if inFlight > 0 { pools[p].lastBusySeconds = now }
        let mean = pools[p].interArrivalMean
        let variance = max(0, pools[p].interArrivalSquare - mean * mean)
        let pool = pools[p]
        let snapshot = PoolState(
            nowSeconds: now, pool: pool.name, warm: warm, loading: loading, draining: draining, maxReplicas: members.count,
            minReplicas: pool.minReplicas, inFlightRequests: inFlight, pendingRequests: pendingHere,
            arrivalRatePerSecond: pool.arrivalRate, arrivalCV: mean > 0 ? variance.squareRoot() / mean : 0,
            kvUtilization: warm > 0 ? kv / Double(warm) : 0,
            recentSLOAttainment: pool.completed > 0 ? Double(pool.met) / Double(pool.completed) : nil,
            idleSeconds: inFlight > 0 ? 0 : now - pool.lastBusySeconds, coldStartSeconds: pool.coldStartSeconds,
            pricePerHourUSD: replicas[members[0]].pricePerHourUSD)
        var snapshotMore = snapshot
        let engine = replicas[members[0]].engine
        snapshotMore.kvCapacityTokens = engine.kv.totalBlocks * engine.kv.blockSizeTokens
        snapshotMore.meanPromptTokens = pool.meanPromptTokens
        snapshotMore.meanPredictedOutputTokens = pool.meanOutputTokens
        snapshotMore.prefixHitRatio = looked > 0 ? Double(hit) / Double(looked) : 0
        snapshotMore.fragmentation = inventory?.fragmentation(type: gpuType[members[0]]) ?? 0
        snapshotMore.placementFailures = placementFailures
        var desired = autoscaler.desiredReplicas(snapshotMore)
        if let settings = autoscaler.engineSettings {
            for r in members {
                if let cap = settings.maxRunningSequences {
                    replicas[r].engine.maxRunningSequences = max(1, min(cap, replicas[r].deployment.limits.maxRunningSequences))
                }
                if let policy = settings.evictionPolicy { replicas[r].prefixCache?.policy = policy }
            }
        }
        pools[p].autoscaler = autoscaler
        pools[p].completed = 0
        pools[p].met = 0
        desired = min(max(desired, pool.minReplicas), members.count)
        var started: [(Int, Double)] = []
        var provisioned = warm + loading
        if desired > provisioned {
            // Re-use draining replicas first (they are warm already), then start cold ones.
            for r in members where provisioned < desired && state[r] == .draining {
                transition(r, to: .warm, now: now)
                provisioned += 1
            }
            for r in members where provisioned < desired && state[r] == .cold {
                guard transition(r, to: .loading, now: now) else { continue }  // no GPU region: try the next
                coldStarts += 1
                warmAt[r] = now + pool.coldStartSeconds
                started.append((r, warmAt[r]))
                provisioned += 1
            }
        } else if desired < provisioned {
            for r in members.reversed() where provisioned > desired && state[r] == .loading {
                transition(r, to: .cold, now: now)
                provisioned -= 1
            }
            let byLoad = members.filter { state[$0] == .warm }.sorted { replicas[$0].engine.liveCount < replicas[$1].engine.liveCount }
            for r in byLoad where provisioned > desired {
                let idle = replicas[r].engine.liveCount == 0 && replicas[r].requestQueue.isEmpty
                transition(r, to: idle ? .cold : .draining, now: now)
                provisioned -= 1
            }
        }
        return started
    }

    /// A reclaimed spot replica: its bill stops, and a replacement starts loading. - Returns: when it will be warm.
    func replace(replica: Int, now: Double) -> Double? {
        transition(replica, to: .cold, now: now)
        guard transition(replica, to: .loading, now: now) else { return nil }
        coldStarts += 1
        warmAt[replica] = now + pools[poolOfReplica[replica]].coldStartSeconds
        return warmAt[replica]
    }

    /// A loading replica finished loading (ignored if it was cancelled meanwhile).
    func loadDone(replica: Int, now: Double) -> Bool {
        guard state[replica] == .loading, warmAt[replica] == now else { return false }
        transition(replica, to: .warm, now: now)
        return true
    }

    /// After an iteration: a draining replica with nothing left goes cold.
    func afterIteration(replica: Replica, now: Double) {
        if state[replica.index] == .draining && replica.engine.liveCount == 0 && replica.requestQueue.isEmpty {
            transition(replica.index, to: .cold, now: now)
        }
    }

    /// Whether a replica is loading (a request waiting for one will be served when it is warm).
    var isLoading: Bool { state.contains(.loading) }

    /// Whether anything is loading or draining (epochs must go on to finish those).
    var hasTransitions: Bool { state.contains { $0 == .loading || $0 == .draining } }

    /// Closes the bills at the end of the run.
    func finishBilling(at end: Double) {
        for r in state.indices where state[r] != .cold {
            billedSeconds[r] += end - billedSince[r]
            billedSince[r] = end
        }
        for g in gpuBilledSeconds.indices where wasOccupied(g) {
            gpuBilledSeconds[g] += end - gpuBilledSince[g]
            gpuBilledSince[g] = end
        }
    }

    /// What the GPUs cost with an inventory (each billed while it hosts a replica), USD; `nil` without one.
    var inventoryCostUSD: Double? {
        guard inventory != nil else { return nil }
        return zip(gpuBilledSeconds, gpuPrice).reduce(0) { $0 + $1.0 * $1.1 } / 3600
    }

    /// GPU-hours billed with an inventory.
    var inventoryGPUHours: Double? { inventory == nil ? nil : gpuBilledSeconds.reduce(0, +) / 3600 }
}
