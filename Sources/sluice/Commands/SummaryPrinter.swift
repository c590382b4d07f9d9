import SluiceCore
import SluiceSimulator

/// Human-readable reports of summaries.
enum SummaryPrinter {
    /// The report of one run.
    static func report(_ s: SimulationSummary) -> String {
        var out = "\(s.label) on \(describe(s.deployments))\n"
        out += "requests \(s.requests)  completed \(s.completed)  rejected \(s.rejected)"
        if s.truncatedOutputs > 0 { out += "  truncated \(s.truncatedOutputs)" }
        out += "  simulated \(fixed(s.simulatedSeconds, 1)) s  wall \(fixed(s.wallSeconds, 3)) s\n"
        if let c = s.closedLoop {
            out += "closed loop: \(c.clients) clients, think time \(fixed(c.thinkSeconds, 3)) s\n"
        }
        out += stepModelLines([s]).map { $0 + "\n" }.joined()
        for e in s.engines {
            out += "engine: \(e.deployment) runs \(e.scheduler), \(e.maxBatchedTokens)-token budget per step, \(e.kvBlocks) KV blocks\n"
        }
        out += "\n"
        var t = TextTable(["latency (ms)", "mean", "p50", "p90", "p99", "max"])
        for (name, l) in [("TTFT", s.ttft), ("TBT", s.tbt), ("TPOT", s.tpot), ("E2E", s.e2e), ("queueing", s.queueing)] {
            t.add([name, millis(l.mean), millis(l.p50), millis(l.p90), millis(l.p99), millis(l.max)])
        }
        out += t.render() + "\n"
        out += "SLO attainment \(percent(s.sloAttainment))  preemptions \(s.preemptions)  iterations \(s.iterations)\n"
        out += "throughput \(fixed(s.outputTokensPerSecond, 1)) output tok/s  GPU busy \(percent(s.gpuBusyFraction))\n"
        out += "cost $\(fixed(s.costUSD, 2)) for \(fixed(s.gpuHours, 2)) GPU-hours  $\(fixed(s.usdPerMillionOutputTokens, 3)) per million output tokens\n"
        if let p = s.prediction {
            out += "predictor \(p.predictor): mean absolute error \(fixed(p.meanAbsoluteErrorTokens, 1)) tokens, "
            out += "rank correlation \(fixed(p.rankCorrelation, 3)) over \(p.requests) requests\n"
        }
        if let h = s.prefixCacheHitRatio { out += "prefix cache: \(percent(h)) of prompt tokens hit\n" }
        if s.coldStarts > 0 { out += "cold starts \(s.coldStarts)\n" }
        for (pool, d) in (s.autoscalerDecisions ?? [:]).sorted(by: { $0.key < $1.key }) {
            let arms = d.armShares.sorted { $0.value > $1.value }.map { "\($0.key) \(percent($0.value))" }.joined(separator: "; ")
            out += "autoscaler on \(pool): \(d.updates) decisions learned from, guardrail overrode \(d.guardrailOverrides) of \(d.ticks) ticks; in force: \(arms)\n"
        }
        for (name, t) in (s.tenants ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += "tenant \(name): $\(fixed(t.spentUSD, 4)) for \(Int(t.tokens)) tokens, peak \(percent(t.peakBudgetShare)) of a period's budget, "
            out += "\(t.rejectedForBudget) refused, \(t.downgraded) downgraded\n"
        }
        if let l = s.latencyPrediction {
            out += "latency predictor (\(s.requestScheduler ?? "")): TTFT error \(millis(l.ttftMeanAbsoluteErrorSeconds)) ms mean abs "
            out += "(bias \(millis(l.ttftMeanErrorSeconds))), E2E \(millis(l.e2eMeanAbsoluteErrorSeconds)) ms mean abs "
            out += "(bias \(millis(l.e2eMeanErrorSeconds)), \(percent(l.e2eRelativeError)) of mean E2E) over \(l.requests) requests\n"
        }
        if s.perClass.count > 1 {
            var c = TextTable(["class", "requests", "SLO met", "TTFT p50", "TTFT p99", "TBT p99", "E2E p99"])
            for name in s.perClass.keys.sorted() {
                let g = s.perClass[name]!
                c.add([name, "\(g.requests)", percent(g.sloAttainment), millis(g.ttft.p50), millis(g.ttft.p99), millis(g.tbt.p99), millis(g.e2e.p99)])
            }
            out += "\n" + c.render()
        }
        return out
    }

    /// One line per distinct step model over `runs`: what it is and which calibration it uses; a loud warning when any
    /// replica ran uncalibrated. The same lines go into the HTML reports (``SimulationCharts/addStepModels(_:to:)``).
    static func stepModelLines(_ runs: [SimulationSummary]) -> [String] {
        var lines: [String] = []
        for m in runs.flatMap(\.stepModels) where !lines.contains("step model: \(m.summaryLine)") { lines.append("step model: \(m.summaryLine)") }
        if runs.contains(where: \.uncalibrated) {
            lines.append("WARNING: this run is UNCALIBRATED for at least one replica: latencies and costs rest on datasheet figures.")
        }
        return lines
    }

    /// "4 × llama-3.1-8b@h100-sxmx1".
    static func describe(_ deployments: [String]) -> String {
        var groups: [(String, Int)] = []
        for d in deployments {
            if let i = groups.firstIndex(where: { $0.0 == d }) { groups[i].1 += 1 } else { groups.append((d, 1)) }
        }
        return groups.map { "\($0.1) x \($0.0)" }.joined(separator: " + ")
    }

    /// One row per run, side by side.
    static func comparison(_ runs: [SimulationSummary]) -> String {
        var t = TextTable([
            "config", "done", "rej", "TTFT p50", "TTFT p99", "TBT p99", "TPOT mean", "E2E p50", "E2E p99", "SLO", "preempt",
            "tok/s", "$/Mtok", "wall s",
        ])
        for s in runs {
            t.add([
                s.label, "\(s.completed)", "\(s.rejected)", millis(s.ttft.p50), millis(s.ttft.p99), millis(s.tbt.p99),
                millis(s.tpot.mean), millis(s.e2e.p50), millis(s.e2e.p99), percent(s.sloAttainment), "\(s.preemptions)",
                fixed(s.outputTokensPerSecond, 0), fixed(s.usdPerMillionOutputTokens, 3), fixed(s.wallSeconds, 2),
            ])
        }
        return "latencies in ms\n" + t.render() + stepModelLines(runs).map { $0 + "\n" }.joined()
    }
}
