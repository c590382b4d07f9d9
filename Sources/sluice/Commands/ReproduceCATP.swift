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
            credited with that plan's measured score and price (OpenCATP's sequential plan pool). The paper compares \
            CATP-LLM with GPT-4 plans, which cannot be run here; its claims are printed beside ours, not reproduced.
            """)

    @Option(help: ArgumentHelp("OpenCATP data folder.", valueName: "DIR"))
    var data = "../shared/data/catp"

    @Option(help: "Folds over tasks.")
    var folds = 5

    @Option(help: "Seed of the task shuffle.")
    var seed: UInt64 = 42

    @Option(help: "α of QoP for the learned planner and the reported QoP (1: quality only).")
    var alpha = 0.5

    @Option(help: ArgumentHelp("Write the results as JSON (keys qop, score, cost per method, costReductionVsBestScore).", valueName: "FILE"))
    var json: String?

    func run() throws {
        guard folds >= 2 else { throw SluiceError.invalidValue(field: "--folds", value: "\(folds)", allowed: "at least 2") }
        guard (0...1).contains(alpha) else { throw SluiceError.invalidValue(field: "--alpha", value: "\(alpha)", allowed: "0...1") }
        let dir = URL(fileURLWithPath: data)
        let catalog = try ToolCatalog(contentsOf: dir.appendingPathComponent("tools.json"))
        let pool = try PlanPool.load(dir.appendingPathComponent("plan_pool_seq.jsonl"), catalog: catalog)
        let signatures = try PlanPool.signatures(dir.appendingPathComponent("tasks.json"))
        let outcomes = PlannerEvaluation.kFold(pool: pool, catalog: catalog, signatures: signatures, folds: folds, seed: seed, alpha: alpha)
        var table = TextTable(["method", "decisions", "mean QoP", "mean score", "mean cost USD"])
        for name in ["learned", "best-score", "cheapest", "fixed-chain"] {
            guard let o = outcomes[name] else { continue }
            table.add([name, "\(o.decisions)", fixed(o.qop, 4), fixed(o.score, 4), "$" + fixed(o.costUSD, 5)])
        }
        print("OpenCATP sequential pool, \(Set(pool.map(\.taskID)).count) tasks, \(folds)-fold over tasks (seed \(seed)), α = \(fixed(alpha, 2))")
        print(table.render(), terminator: "")
        let reduction = outcomes["learned"].flatMap { l in outcomes["best-score"].map { 1 - l.costUSD / $0.costUSD } }
        if let reduction, let l = outcomes["learned"], let b = outcomes["best-score"] {
            print("learned vs best-score: cost \(fixed(-reduction * 100, 1)) %, score \(fixed((l.score - b.score) * 100, 2)) points")
        }
        print("paper (CATP-LLM on Llama2-7B vs GPT-4 plans, not runnable here): cost -24.7 % to -45.8 %, plan performance +28.2 % to +30.2 %")
        if let json {
            var object: [String: Any] = [:]
            for key in ["qop", "score", "cost"] {
                object[key] = outcomes.mapValues { key == "qop" ? $0.qop : key == "score" ? $0.score : $0.costUSD }
            }
            object["costReductionVsBestScore"] = reduction ?? 0
            object["decisions"] = outcomes.mapValues(\.decisions)
            do {
                try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: json))
            } catch { throw SluiceError.io(path: json, reason: "cannot write: \(error.localizedDescription)") }
        }
    }
}
