import ArgumentParser
import Foundation
import SluiceCore
import SluiceToolPlanning

/// `sluice reproduce catp`: the cost-aware planner against its baselines on OpenCATP's logged plans, tasks held out.
struct ReproduceCATP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catp",
        abstract: "CATP-LLM (ICCV 2025): the learned cost-aware planner vs best-score, cheapest and fixed-chain, tasks held out.",
        discussion: """
            Each method picks one of the plans logged for a held-out (task, sample) without seeing their scores and is \
            credited with that plan's measured score and price, on OpenCATP's sequential and non-sequential plan pools \
            (each its own k-fold over tasks). An α sweep of the learned planner gives the cost reduction against \
            best-score at equal or better score. The paper compares CATP-LLM with GPT-4 plans, which cannot be run \
            here; its claims are printed beside ours, not reproduced.
            """)

    @Option(help: ArgumentHelp("OpenCATP data folder.", valueName: "DIR"))
    var data = "../shared/data/catp"

    @Option(help: "Folds over tasks (each pool).")
    var folds = 5

    @Option(help: "Seed of the task shuffle.")
    var seed: UInt64 = 42

    @Option(help: "α of QoP for the learned planner and the reported QoP (1: quality only).")
    var alpha = 0.5

    @Option(help: ArgumentHelp("α values of the learned planner's sweep (comma-separated).", valueName: "LIST"))
    var sweepAlphas = "0.5,0.6,0.7,0.8,0.9,0.95,0.99,1"

    @Option(help: ArgumentHelp("Pools: seq, nonseq or both (comma-separated).", valueName: "LIST"))
    var pools = "seq,nonseq"

    @Option(help: ArgumentHelp("Write the results as JSON (keys qop, score, cost per method, costReductionVsBestScore, pools).", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report: cost, score and QoP per method, the α sweep, the paper's claims.", valueName: "FILE"))
    var html: String?

    static let methodNames = ["learned", "best-score", "cheapest", "fixed-chain", PlannerEvaluation.hindsightName]

    func run() throws {
        guard folds >= 2 else { throw SluiceError.invalidValue(field: "--folds", value: "\(folds)", allowed: "at least 2") }
        guard (0...1).contains(alpha) else { throw SluiceError.invalidValue(field: "--alpha", value: "\(alpha)", allowed: "0...1") }
        let alphas = try sweepAlphas.split(separator: ",").map { part throws(SluiceError) -> Double in
            guard let a = Double(part.trimmingCharacters(in: .whitespaces)), (0...1).contains(a) else {
                throw SluiceError.invalidValue(field: "--sweep-alphas", value: String(part), allowed: "numbers in 0...1, comma-separated")
            }
            return a
        }
        let kinds = pools.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for k in kinds where !["seq", "nonseq"].contains(k) { throw SluiceError.unknownName(kind: "pool", name: k, valid: ["seq", "nonseq"]) }
        guard !kinds.isEmpty else { throw SluiceError.invalidValue(field: "--pools", value: pools, allowed: "seq, nonseq or both") }
        let dir = URL(fileURLWithPath: data)
        let catalog = try ToolCatalog(contentsOf: dir.appendingPathComponent("tools.json"))
        let signatures = try PlanPool.signatures(dir.appendingPathComponent("tasks.json"))
        var perPool: [String: [String: Any]] = [:]
        var charted: [(name: String, outcomes: [String: PlannerEvaluation.Outcome], sweep: [PlannerEvaluation.SweepPoint])] = []
        var outcomesByPool: [[String: PlannerEvaluation.Outcome]] = []
        var sweepsByPool: [[PlannerEvaluation.SweepPoint]] = []
        for kind in kinds {
            let pool = try PlanPool.load(dir.appendingPathComponent("plan_pool_\(kind).jsonl"), catalog: catalog)
            let outcomes = PlannerEvaluation.kFold(pool: pool, catalog: catalog, signatures: signatures, folds: folds, seed: seed, alpha: alpha)
            let sweep = PlannerEvaluation.sweep(
                pool: pool, catalog: catalog, signatures: signatures, folds: folds, seed: seed, qopAlpha: alpha, alphas: alphas)
            print("OpenCATP \(kind == "seq" ? "sequential" : "non-sequential") pool: \(Set(pool.map(\.taskID)).count) tasks, \(pool.count) plans, \(folds)-fold over tasks (seed \(seed)), α = \(fixed(alpha, 2))")
            report(outcomes, sweep: sweep)
            perPool[kind] = Self.jsonObject(outcomes, sweep: sweep)
            outcomesByPool.append(outcomes)
            charted.append((kind == "seq" ? "Sequential pool" : "Non-sequential pool", outcomes, sweep))
            sweepsByPool.append(sweep)
        }
        var object: [String: Any] = ["pools": perPool, "folds": folds, "seed": seed, "alpha": alpha]
        if kinds.count > 1 {
            let all = Self.combine(outcomesByPool)
            let sweep = alphas.indices.map { i in
                PlannerEvaluation.SweepPoint(alpha: alphas[i], outcome: Self.combine(sweepsByPool.map { ["x": $0[i].outcome] })["x"]!)
            }
            print("Both pools (means over all decisions):")
            report(all, sweep: sweep)
            object.merge(Self.jsonObject(all, sweep: sweep)) { $1 }
            charted.insert(("Both pools", all, sweep), at: 0)
        } else {
            object.merge(perPool[kinds[0]] ?? [:]) { $1 }
        }
        print("paper (CATP-LLM on Llama2-7B vs GPT-4 plans, not runnable here): cost -24.7 % to -45.8 %, plan performance +28.2 % to +30.2 %")
        print("here the comparison is among planners choosing from the same logged candidates; best-score is the quality-only reference")
        if let html {
            try SimulationCharts.write(
                ReproductionReports.catp(pools: charted, methods: Self.methodNames, folds: folds, seed: seed, alpha: alpha), to: html)
        }
        if let json {
            try writeData(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), to: json)
        }
    }

    private func report(_ outcomes: [String: PlannerEvaluation.Outcome], sweep: [PlannerEvaluation.SweepPoint]) {
        var table = TextTable(["method", "decisions", "mean QoP", "mean score", "mean cost USD"])
        for name in Self.methodNames {
            guard let o = outcomes[name] else { continue }
            table.add([name, "\(o.decisions)", fixed(o.qop, 4), fixed(o.score, 4), "$" + fixed(o.costUSD, 5)])
        }
        for p in sweep { table.add(["learned α=\(fixed(p.alpha, 2))", "\(p.outcome.decisions)", fixed(p.outcome.qop, 4), fixed(p.outcome.score, 4), "$" + fixed(p.outcome.costUSD, 5)]) }
        print(table.render(), terminator: "")
        print("(\(PlannerEvaluation.hindsightName): the candidate with the best measured QoP, an upper bound that needs every candidate run)")
        if let l = outcomes["learned"], let b = outcomes["best-score"], b.costUSD > 0 {
            print("learned (α = \(fixed(alpha, 2))) vs best-score: cost \(fixed(-(1 - l.costUSD / b.costUSD) * 100, 1)) %, score \(fixed((l.score - b.score) * 100, 2)) points")
        }
        if let b = outcomes["best-score"] {
            if let r = PlannerEvaluation.costReductionAtEqualOrBetterScore(sweep, reference: b) {
                print("at equal or better score than best-score: cost -\(fixed(r.reduction * 100, 1)) % (learned α = \(fixed(r.alpha, 2)))")
            } else {
                print("at equal or better score than best-score: no α of the sweep scores as well")
            }
        }
        print("")
    }

    /// Decision-weighted means of several evaluations' outcomes.
    static func combine(_ parts: [[String: PlannerEvaluation.Outcome]]) -> [String: PlannerEvaluation.Outcome] {
        var out: [String: PlannerEvaluation.Outcome] = [:]
        for name in Set(parts.flatMap(\.keys)) {
            let list = parts.compactMap { $0[name] }
            let n = list.reduce(0) { $0 + $1.decisions }
            guard n > 0 else { continue }
            func mean(_ f: (PlannerEvaluation.Outcome) -> Double) -> Double { list.reduce(0) { $0 + f($1) * Double($1.decisions) } / Double(n) }
            out[name] = .init(qop: mean(\.qop), score: mean(\.score), costUSD: mean(\.costUSD), decisions: n)
        }
        return out
    }

    static func jsonObject(_ outcomes: [String: PlannerEvaluation.Outcome], sweep: [PlannerEvaluation.SweepPoint]) -> [String: Any] {
        var object: [String: Any] = [:]
        object["qop"] = outcomes.mapValues(\.qop)
        object["score"] = outcomes.mapValues(\.score)
        object["cost"] = outcomes.mapValues(\.costUSD)
        object["decisions"] = outcomes.mapValues(\.decisions)
        if let l = outcomes["learned"], let b = outcomes["best-score"], b.costUSD > 0 { object["costReductionVsBestScore"] = 1 - l.costUSD / b.costUSD }
        object["alphaSweep"] = sweep.map { ["alpha": $0.alpha, "qop": $0.outcome.qop, "score": $0.outcome.score, "cost": $0.outcome.costUSD] }
        if let b = outcomes["best-score"], let r = PlannerEvaluation.costReductionAtEqualOrBetterScore(sweep, reference: b) {
            object["costReductionAtEqualOrBetterScore"] = ["alpha": r.alpha, "reduction": r.reduction]
        } else {
            object["costReductionAtEqualOrBetterScore"] = NSNull()
        }
        return object
    }
}
