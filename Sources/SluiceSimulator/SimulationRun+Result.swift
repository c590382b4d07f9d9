import SluiceCore
import SluiceEngineModel

extension SimulationRun {
    /// The run's result, after ``execute()``.
    func result(wallSeconds: Double) -> SimulationResult {
        var cacheLookedUp = 0
        var cacheHit = 0
        for r in fleet {
            if let c = r.prefixCache {
                cacheLookedUp += c.lookedUpTokens
                cacheHit += c.hitTokens
            }
        }
        let truncated = fleet.reduce(0) { $0 + $1.truncatedOutputs }
        var result = SimulationResult(
            replicas: fleet.map { r in
                var report = ReplicaReport(
                    label: r.deployment.label, scheduler: r.scheduler.name, pricePerHourUSD: r.pricePerHourUSD,
                    gpus: r.deployment.tensorParallel, busySeconds: r.busySeconds, iterations: r.iterations,
                    kvBlocks: r.engine.kv.totalBlocks, kvBlocksFreeAtEnd: r.engine.kv.freeBlocks,
                    liveAtEnd: r.engine.liveCount, preemptions: r.engine.preemptionCount,
                    billedSeconds: elastic.billedSeconds[r.index],
                    maxBatchedTokens: r.engine.maxBatchedTokens, largestBatchTokens: r.largestBatchTokens,
                    largestRunningSequences: r.largestBatchSequences, timeline: r.timeline)
                report.stepModel = config.replicas[r.index].stepModelProvenance
                if report.stepModel.deployment == nil { report.stepModel.deployment = r.deployment.label }
                return report
            },
            router: router.name, sloClasses: classes, metrics: metrics, simulatedSeconds: lastEventSeconds,
            wallSeconds: wallSeconds, events: eventCount, truncatedOutputs: truncated,
            prediction: sharedPredictor.map {
                PredictionReport(predictor: $0.name, requests: $0.accuracy.count, meanAbsoluteErrorTokens: $0.accuracy.meanAbsoluteErrorTokens,
                                 rankCorrelation: $0.accuracy.rankCorrelation)
            })
        if cacheLookedUp > 0 { result.prefixCacheHitRatio = Double(cacheHit) / Double(cacheLookedUp) }
        result.closedLoop = config.closedLoop
        result.tenants = ledger.accounts.filter { config.budgets[$0.key] != nil }.mapValues { a in
            TenantReport(spentUSD: a.totalUSD, tokens: a.totalTokens, rejectedForBudget: a.rejected, downgraded: a.downgraded, peakBudgetShare: a.peakShare)
        }
        result.coldStarts = elastic.coldStarts
        for pool in elastic.pools { if let r = pool.autoscaler?.decisionReport { result.autoscalerDecisions[pool.name] = r } }
        result.inventoryCostUSD = elastic.inventoryCostUSD
        result.inventoryGPUHours = elastic.inventoryGPUHours
        result.placementFailures = elastic.placementFailures
        result.fragmentationFailures = elastic.fragmentationFailures
        if let requestScheduler = config.requestScheduler {
            result.requestScheduler = requestScheduler.lowercased()
            var errors = LatencyPredictionErrors()
            for r in fleet { errors.add(r.latencyErrors) }
            if errors.count > 0 {
                let n = Double(errors.count)
                result.latencyPrediction = LatencyPredictionReport(
                    requests: errors.count, ttftMeanAbsoluteErrorSeconds: errors.ttftAbsolute / n, ttftMeanErrorSeconds: errors.ttftSigned / n,
                    e2eMeanAbsoluteErrorSeconds: errors.e2eAbsolute / n, e2eMeanErrorSeconds: errors.e2eSigned / n,
                    e2eRelativeError: errors.e2eMeasured > 0 ? errors.e2eAbsolute / errors.e2eMeasured : 0)
            }
            if config.timeRequestDecisions {
                var times = LatencyHistogram()
                for r in fleet { if let t = r.decisionTimes { times.add(t) } }
                result.requestDecisionTimes = times
            }
        }
        return result
    }
}
