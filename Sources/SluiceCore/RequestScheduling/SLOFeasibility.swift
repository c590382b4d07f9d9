/// Whether a request is predicted to meet its SLO targets on an instance: the one check the simulator's routers
/// (`cost-aware`) and the gateway's SLO admission share (issue 15).
///
/// The request joins the instance now (``LatencyPredictor`` over the instance's load, the request's predicted output
/// length); it is feasible when its predicted TTFT, end-to-end time and iteration time each stay within `1 − margin`
/// of the matching target (an unset target is met).
public struct SLOFeasibility: Sendable {
    /// Predicted time to first token, seconds from the request's arrival.
    public var ttftSeconds: Double
    /// Predicted end-to-end time, seconds from the request's arrival.
    public var e2eSeconds: Double
    /// Predicted time per iteration while it runs, seconds.
    public var iterationSeconds: Double
    /// The predictor's constants at this load (for cost estimates).
    public var constants: LatencyPredictor.Constants
    /// Whether every target is met with the margin.
    public var feasible: Bool

    /// Predicts `request` (arriving now) on an instance with `load`, against `targets` with `margin`
    /// (0.2: predictions must meet 80 % of each target).
    public init(_ request: QueuedRequest, load: InstanceLoad, predictor: LatencyPredictor, targets: SLOTargets, margin: Double = 0) {
        let c = predictor.constants(concurrency: load.maxConcurrency, load: load, queue: [request])
        let t = LatencyPredictor.times(request, position: 0, outputsAhead: 0, c)
        let keep = 1 - margin
        constants = c
        ttftSeconds = t.firstToken - request.arrivalSeconds
        e2eSeconds = t.finish - request.arrivalSeconds
        iterationSeconds = c.iterationSeconds
        feasible = ttftSeconds <= keep * (targets.ttftSeconds ?? .infinity) && e2eSeconds <= keep * (targets.e2eSeconds ?? .infinity)
            && iterationSeconds <= keep * min(targets.tpotSeconds ?? .infinity, targets.tbtSeconds ?? .infinity)
    }
}
