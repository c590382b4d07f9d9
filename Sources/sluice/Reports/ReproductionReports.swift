import SluiceCharts
import SluiceCore
import SluiceSimulator
import SluiceToolPlanning

/// HTML reports of the reproductions: our curves, our headline figures next to the paper's, and the configuration.
enum ReproductionReports {
    /// SLAI vs Sarathi-Serve (arXiv 2508.01002).
    static func slai(_ r: SLAIReproductionReport) -> HTMLReport {
        var report = HTMLReport(title: "SLAI vs Sarathi-Serve — reproduction", subtitle: SimulationCharts.subtitle("sluice reproduce slai"))
        report.section("Configuration")
        report.definitions([
            ("paper", "SLAI (arXiv 2508.01002)"), ("deployment", r.deployment), ("step model", r.stepModel ?? "not recorded"), ("requests per load point", "\(r.requestsPerPoint)"),
            ("seed", "\(r.seed)"), ("workload", "ShareGPT4 lengths (bundled), Poisson arrivals"),
            ("capacity", "highest rate with median TTFT ≤ \(fixed(r.ttftThresholdSeconds, 2)) s and every class's p99 TBT within its SLO"),
            ("baseline / candidate", "\(r.baseline) / \(r.candidate)"),
        ])
        report.section("Headline figures: ours and the paper's")
        report.chart(BarChart(
            title: "Capacity gain and median TTFT reduction of \(r.candidate) over \(r.baseline)", categories: ["capacity gain", "median TTFT reduction"],
            categoryLabel: "figure", y: Axis("percent"),
            series: r.settings.map { s in ("ours, \(s.name) TBT SLO", [s.capacityGain.map { $0 * 100 }, s.medianTTFTReduction.map { $0 * 100 }]) }
                + [("paper", [r.paper.capacityGain * 100, r.paper.medianTTFTReduction * 100])]))
        for s in r.settings {
            report.section("\(s.name) TBT SLO (classes: \(s.classes.joined(separator: ", ")))")
            let markers = s.schedulers.enumerated().compactMap { i, n in s.capacity[n].map { Marker(x: $0, label: "capacity \(n) \(fixed($0, 2)) req/s", series: i) } }
            let ttft = s.schedulers.map { n in Series(n, points: (s.curves[n] ?? []).map { (x: $0.rate, y: $0.ttftP50) }) }
            report.chart(LineChart(
                title: "Median TTFT against load (\(s.name))", x: Axis("request rate (req/s)"),
                y: Axis("TTFT p50 (s)", scale: SimulationCharts.scale(for: ttft.flatMap(\.points).map(\.y))), series: ttft, markers: markers))
            let tbt = s.schedulers.map { n in Series(n, points: (s.curves[n] ?? []).map { (x: $0.rate, y: $0.tbtP99) }) }
            report.chart(LineChart(
                title: "p99 TBT against load (\(s.name))", x: Axis("request rate (req/s)"),
                y: Axis("TBT p99 (s)", scale: SimulationCharts.scale(for: tbt.flatMap(\.points).map(\.y))), series: tbt, markers: markers))
            let slo = s.schedulers.map { n in Series(n, points: (s.curves[n] ?? []).map { (x: $0.rate, y: $0.sloAttainment * 100) }) }
            report.chart(LineChart(title: "SLO attainment against load (\(s.name))", x: Axis("request rate (req/s)"),
                                   y: Axis("requests meeting their SLO (%)", range: 0...100), series: slo, markers: markers))
            report.table(header: ["scheduler", "capacity req/s"], rows: s.schedulers.map { [$0, s.capacity[$0].map { fixed($0, 3) } ?? "below the lowest rate"] })
        }
        return report
    }

    /// Simulated-annealing multi-SLO scheduling (arXiv 2504.14966).
    static func sa(_ r: SAReproductionReport) -> HTMLReport {
        var report = HTMLReport(title: "Multi-SLO scheduling by simulated annealing — reproduction", subtitle: SimulationCharts.subtitle("sluice reproduce sa"))
        report.section("Configuration")
        report.definitions([
            ("paper", "Huang et al., arXiv 2504.14966"), ("fleet", "\(r.instances) × \(r.deployment), round-robin, vLLM engines"),
            ("requests per load point", "\(r.requestsPerPoint)"), ("seed", "\(r.seed)"), ("predictor", r.predictor),
            ("classes", r.classes.joined(separator: ", ")), ("policies", r.policies.joined(separator: ", ")),
        ])
        report.section("Headline figures: ours and the paper's")
        report.chart(BarChart(
            title: "Best SLO attainment ratio of sa-slo over \(r.policies.first ?? "fcfs")", categories: ["attainment ratio"], categoryLabel: "figure",
            y: Axis("ratio (×)"), series: [("ours", [r.bestAttainmentRatio]), ("paper (up to)", [r.paper.bestAttainmentRatio])]))
        report.chart(BarChart(
            title: "Mean latency reduction of sa-slo", categories: ["mean latency reduction"], categoryLabel: "figure", y: Axis("percent"),
            series: [("ours", [r.meanLatencyReduction * 100]), ("paper", [r.paper.meanLatencyReduction * 100])]))
        report.section("Against load")
        report.chart(LineChart(
            title: "SLO attainment against load", x: Axis("request rate (req/s)"), y: Axis("requests meeting their SLO (%)", range: 0...100),
            series: r.policies.map { p in Series(p, points: zip(r.rates, r.sloAttainment[p] ?? []).map { (x: $0, y: $1 * 100) }) },
            markers: r.kneeRate.map { [Marker(x: $0, label: "knee")] } ?? []))
        let latency = r.policies.map { p in Series(p, points: zip(r.rates, r.meanLatency[p] ?? []).map { (x: $0, y: $1) }) }
        report.chart(LineChart(
            title: "Mean end-to-end latency against load", x: Axis("request rate (req/s)"),
            y: Axis("mean latency (s)", scale: SimulationCharts.scale(for: latency.flatMap(\.points).map(\.y))), series: latency))
        report.paragraph("sa-slo decision time: p50 \(fixed(r.decisionMicroseconds.p50, 1)) µs, p99 \(fixed(r.decisionMicroseconds.p99, 1)) µs over \(r.decisionMicroseconds.decisions) decisions (paper: about \(fixed(r.paper.decisionMicroseconds, 0)) µs).")
        return report
    }

    /// Elastic serverless scaling (DeepServe++ setting).
    static func deepServe(_ r: DeepServeReport) -> HTMLReport {
        var report = HTMLReport(title: "Elastic scaling (DeepServe++ setting) — reproduction", subtitle: SimulationCharts.subtitle("sluice reproduce deepserve"))
        report.section("Configuration")
        report.definitions([
            ("paper", "DeepServe / DeepServe++ (serverless LLM serving)"), ("pools", "1 to \(r.maxReplicas) replicas"),
            ("best static", "the cheapest static pool meeting \(percent(r.targetAttainment)) SLO attainment"), ("seed", "\(r.seed)"),
            ("paper's figures", "P99 latency \(Int(DeepServePaper.p99LatencyChange.low)) to \(Int(DeepServePaper.p99LatencyChange.high)) %, GPU utilisation +\(Int(DeepServePaper.gpuUtilisationPoints.low)) to +\(Int(DeepServePaper.gpuUtilisationPoints.high)) points, cost per request up to \(Int(DeepServePaper.costPerRequestChange.high)) % (vs state-of-the-art baselines)"),
        ])
        for s in r.scenarios {
            report.section("\(s.name) on \(s.deployment), \(s.requests) requests (best static: \(s.bestStatic))")
            let policies = s.policies.filter { s.rows[$0] != nil }
            if let bandit = s.rows["bandit"] {
                var categories: [String] = [], ours: [Double?] = []
                for base in ["best-static", "concurrency"] {
                    guard let b = s.rows[base], b.p99LatencySeconds > 0, b.costPerRequestUSD > 0 else { continue }
                    categories += ["P99 latency vs \(base)", "GPU utilisation vs \(base)", "cost/request vs \(base)"]
                    ours += [(bandit.p99LatencySeconds / b.p99LatencySeconds - 1) * 100, (bandit.gpuUtilization - b.gpuUtilization) * 100,
                             (bandit.costPerRequestUSD / b.costPerRequestUSD - 1) * 100]
                }
                func paper(_ pick: ((low: Double, high: Double)) -> Double) -> [Double?] {
                    categories.map { c in
                        pick(c.hasPrefix("P99") ? DeepServePaper.p99LatencyChange : c.hasPrefix("GPU") ? DeepServePaper.gpuUtilisationPoints : DeepServePaper.costPerRequestChange)
                    }
                }
                let paperLow = paper(\.low), paperHigh = paper(\.high)
                if !categories.isEmpty {
                    report.chart(BarChart(
                        title: "Bandit against the baselines: ours and the paper's range", categories: categories, categoryLabel: "figure",
                        y: Axis("change (% or points)"), series: [("ours", ours), ("paper, low end", paperLow), ("paper, high end", paperHigh)]))
                }
            }
            report.chart(BarChart(
                title: "SLO attainment and GPU utilisation per policy", categories: policies, categoryLabel: "policy", y: Axis("percent", range: 0...100),
                series: [("SLO attainment", policies.map { s.rows[$0].map { $0.sloAttainment * 100 } }),
                         ("GPU utilisation", policies.map { s.rows[$0].map { $0.gpuUtilization * 100 } })]))
            report.chart(BarChart(
                title: "Cost per request", categories: policies, categoryLabel: "policy", y: Axis("USD per 1,000 requests"),
                series: [("cost", policies.map { s.rows[$0].map { $0.costPerRequestUSD * 1000 } })]))
            let sweep = s.staticSweep.enumerated().map { (x: Double($0.offset + 1), y: $0.element.sloAttainment * 100) }
            report.chart(LineChart(title: "Static pools: SLO attainment by size", x: Axis("replicas"), y: Axis("requests meeting their SLO (%)", range: 0...100),
                                   series: [Series("static pool", points: sweep)]))
        }
        return report
    }

    /// CATP-LLM planners on OpenCATP's logged plans.
    static func catp(
        pools: [(name: String, outcomes: [String: PlannerEvaluation.Outcome], sweep: [PlannerEvaluation.SweepPoint])],
        methods: [String], folds: Int, seed: UInt64, alpha: Double
    ) -> HTMLReport {
        var report = HTMLReport(title: "Cost-aware tool planning (CATP-LLM) — reproduction", subtitle: SimulationCharts.subtitle("sluice reproduce catp"))
        report.section("Configuration")
        report.definitions([
            ("paper", "CATP-LLM, Wu et al., ICCV 2025"), ("data", "OpenCATP plan pools (Apache-2.0)"),
            ("evaluation", "\(folds)-fold over tasks, seed \(seed); each method picks one logged plan per held-out (task, sample) and is credited with its measured score and price"),
            ("QoP α", fixed(alpha, 2)),
            ("paper's figures", "cost −24.7 % to −45.8 %, plan performance +28.2 % to +30.2 % against GPT-4 plans, which cannot be run here"),
        ])
        for pool in pools {
            report.section(pool.name)
            let present = methods.filter { pool.outcomes[$0] != nil }
            report.chart(BarChart(title: "Mean price per plan (\(pool.name))", categories: present, categoryLabel: "method", y: Axis("USD per plan"),
                                  series: [("mean cost", present.map { pool.outcomes[$0]?.costUSD })]))
            report.chart(BarChart(title: "Mean score and QoP (\(pool.name))", categories: present, categoryLabel: "method", y: Axis("score / QoP"),
                                  series: [("mean score", present.map { pool.outcomes[$0]?.score }), ("mean QoP", present.map { pool.outcomes[$0]?.qop })]))
            var series = [Series("learned, α sweep", points: pool.sweep.map { (x: $0.outcome.costUSD, y: $0.outcome.score) })]
            for m in methods where m != "learned" {
                if let o = pool.outcomes[m] { series.append(Series(m, points: [(x: o.costUSD, y: o.score)], style: .points)) }
            }
            report.chart(LineChart(title: "Score against cost (\(pool.name))", x: Axis("mean price per plan (USD)"), y: Axis("mean measured score"), series: series))
            report.table(header: ["method", "decisions", "mean QoP", "mean score", "mean cost USD"], rows: present.compactMap { m in
                pool.outcomes[m].map { [m, "\($0.decisions)", fixed($0.qop, 4), fixed($0.score, 4), "$" + fixed($0.costUSD, 5)] }
            } + pool.sweep.map { ["learned α=\(fixed($0.alpha, 2))", "\($0.outcome.decisions)", fixed($0.outcome.qop, 4), fixed($0.outcome.score, 4), "$" + fixed($0.outcome.costUSD, 5)] })
        }
        return report
    }
}

/// DeepServe++'s reported improvements over state-of-the-art baselines (the ranges its abstract gives).
enum DeepServePaper {
    /// P99 latency change, percent (low and high ends of the range).
    static let p99LatencyChange = (low: -38.0, high: -62.0)
    /// GPU utilisation change, percentage points.
    static let gpuUtilisationPoints = (low: 14.0, high: 23.0)
    /// Cost per request change, percent ("up to").
    static let costPerRequestChange = (low: -27.0, high: -27.0)
}
