import SluiceCore
import SluiceCatalog

/// What the gateway knows of an upstream's speed before it has seen it answer: the simulator's step-time model for its
/// deployment (the catalog's GPU and model, its tensor parallelism, the closest bundled calibration), the prior of its
/// learned speed (``OnlineStepTimeLearner``), from which SluiceCore's ``LatencyPredictor`` predicts a request's first
/// token and finish there. The `cost-aware` router and the `sa-slo` ordering read it — the same code and model the
/// simulator evaluates them with. Upstreams without a `gpu` (priced APIs) have none.
struct UpstreamPerformance: Sendable {
    /// The latency predictor over the deployment's step-time model.
    let predictor: LatencyPredictor
    /// Tokens its KV cache holds.
    let kvCapacityTokens: Int

    /// The performance model of every upstream that names a `gpu` (`nil` for the others).
    /// - Throws: ``SluiceError`` naming the field for an unknown GPU or model, or a model that does not fit.
    static func resolve(_ config: GatewayConfig, file: String = "configuration") throws(SluiceError) -> [UpstreamPerformance?] {
        let catalog = try CatalogLoader.bundled()
        let calibrations = try CalibrationStore.bundled()
        var out: [UpstreamPerformance?] = []
        for (i, u) in config.upstreams.enumerated() {
            guard let gpuName = u.gpu else {
                out.append(nil)
                continue
            }
            let gpu: GPUSpec
            do { gpu = try catalog.gpu(named: gpuName) } catch {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].gpu", reason: error.description)
            }
            let model: ModelSpec
            do { model = try catalog.model(named: u.catalogModel ?? u.model) } catch {
                throw .malformed(
                    file: file, line: nil, field: "upstreams[\(i)].catalogModel",
                    reason: "\(error.description) (name the served model's architecture with catalogModel)")
            }
            guard u.tensorParallel >= 1 else {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].tensorParallel", reason: "must be at least 1")
            }
            var limits = EngineLimits()
            limits.maxRunningSequences = u.maxConcurrency
            let deployment = Deployment(model: model, gpu: gpu, tensorParallel: u.tensorParallel, limits: limits)
            let blocks: Int
            do { blocks = try deployment.kvBlockCapacity() } catch {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)]", reason: error.description)
            }
            out.append(UpstreamPerformance(
                predictor: LatencyPredictor(stepModel: RooflineStepTimeModel(
                    deployment: deployment,
                    parameters: calibrations.bestMatch(for: deployment, engine: u.engine.rawValue)?.file.parameters ?? RooflineParameters())),
                kvCapacityTokens: blocks * limits.blockSizeTokens))
        }
        if config.router == "cost-aware" || config.ordering == "sa-slo" {
            for (i, p) in out.enumerated() where p == nil && !config.upstreams[i].isTokenPriced {
                throw .malformed(file: file, line: nil, field: "upstreams[\(i)].gpu",
                                 reason: "\(config.router == "cost-aware" ? "router cost-aware" : "ordering sa-slo") predicts latency from the upstream's GPU: name it (see sluice catalog)")
            }
        }
        return out
    }
}
