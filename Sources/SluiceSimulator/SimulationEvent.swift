import SluiceCore
import SluiceEngineModel

/// A timed event (arrivals stream in beside the heap): the end of a replica's iteration, a scheduler's timed wake-up,
/// a replica finishing its cold start, or a pool's autoscaling epoch (`replica` is then the pool's index).
struct SimulationEvent: Comparable {
    enum Kind: UInt8 { case iteration, wakeUp, loadDone, epoch, interruption }
    var seconds: Double
    var sequence: UInt64
    var replica: Int32
    var kind = Kind.iteration

    static func < (a: SimulationEvent, b: SimulationEvent) -> Bool {
        a.seconds < b.seconds || (a.seconds == b.seconds && a.sequence < b.sequence)
    }
}

/// The fleet as a router sees it: the warm replicas, renumbered from 0.
struct FleetSnapshot: FleetView {
    let replicas: [Replica]
    let routable: [Int]
    let classes: SLOClassTable
    let predictor: SharedPredictor?
    let nowSeconds: Double
    let prefixHashes: [UInt64]
    var replicaCount: Int { routable.count }
    func cachedPrefixTokens(replica: Int, request: RequestInfo) -> Int {
        guard !prefixHashes.isEmpty, let cache = replicas[routable[replica]].prefixCache else { return 0 }
        return cache.peekPrefixTokens(prefixHashes, promptTokens: request.promptTokens)
    }
    func outstandingRequests(replica: Int) -> Int { replicas[routable[replica]].engine.liveCount }
    func outstandingTokens(replica: Int) -> Int { replicas[routable[replica]].outstandingTokens }
    func pricePerHourUSD(replica: Int) -> Double { replicas[routable[replica]].pricePerHourUSD }
    func latencyPredictor(replica: Int) -> LatencyPredictor? { replicas[routable[replica]].latencyPredictor }
    func sloTargets(_ request: RequestInfo) -> SLOTargets { classes[request.sloClass].targets }
    func instanceLoad(replica: Int) -> InstanceLoad? {
        let r = replicas[routable[replica]]
        var load = r.currentLoad(now: nowSeconds)
        for q in r.requestQueue {  // the replica's own request queue is work ahead too
            load.liveRemainingTokens += q.predictedOutputTokens
            load.liveRequests += 1
        }
        return load
    }
    func predictedOutputTokens(_ request: RequestInfo) -> Double? {
        guard let predictor, !predictor.isOracle else { return nil }
        return predictor.predict(PredictionQuery(
            requestID: request.id, promptTokens: request.promptTokens, generatedTokens: 0, sloClass: request.sloClass, tenantKey: 0,
            trueOutputTokens: nil))
    }
}

