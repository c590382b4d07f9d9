import Foundation
import Testing

/// The `sluice` executable end to end: flags, outputs, errors and exit codes.
@Suite(.serialized)
struct CLIEndToEndTests {
    static let requiredKeys = [
        "requests", "completed", "rejected", "simulatedSeconds", "wallSeconds", "iterations", "events",
        "outputTokensPerSecond", "ttft", "tbt", "tpot", "e2e", "sloAttainment", "preemptions", "gpuHours", "costUSD",
        "usdPerMillionOutputTokens", "perClass",
    ]

    @Test func helpListsTheSubcommands() throws {
        let r = try CLIRunner.run(["--help"])
        #expect(r.status == 0)
        for sub in ["simulate", "compare", "capacity", "calibrate", "catalog", "bench"] { #expect(r.stdout.contains(sub)) }
        let s = try CLIRunner.run(["simulate", "--help"])
        #expect(s.status == 0)
        for flag in ["--trace", "--model", "--gpu", "--tp", "--replicas", "--scheduler", "--chunk-size", "--router", "--rate",
                     "--requests", "--seed", "--catalog", "--json", "--requests-csv", "--trace-format", "--slo"] {
            #expect(s.stdout.contains(flag), "simulate --help mentions \(flag)")
        }
    }

    @Test func simulateWritesTheSummaryAndOneRowPerRequest() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("s.json").path
        let csv = dir.appendingPathComponent("r.csv").path
        let r = try CLIRunner.run([
            "simulate", "--requests", "300", "--replicas", "2", "--json", json, "--requests-csv", csv,
            "--slo", "chat:70%:ttft=0.5,tbt=0.1", "--slo", "batch:30%:e2e=60",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("SLO attainment"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for key in Self.requiredKeys { #expect(object[key] != nil, "summary has \(key)") }
        #expect(object["requests"] as? Int == 300)
        let ttft = object["ttft"] as! [String: Any]
        for k in ["mean", "p50", "p90", "p99", "max"] { #expect(ttft[k] != nil) }
        let perClass = object["perClass"] as! [String: Any]
        #expect(Set(perClass.keys) == ["chat", "batch"])
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 301)
        #expect(rows[0].hasPrefix("request_id,replica,slo_class,status"))
    }

    @Test func sameSeedGivesByteIdenticalOutputs() throws {
        let dir = try CLIRunner.temporaryDirectory()
        var csvs: [Data] = []
        var jsons: [[String: Any]] = []
        for i in 0..<2 {
            let csv = dir.appendingPathComponent("r\(i).csv").path
            let json = dir.appendingPathComponent("s\(i).json").path
            let r = try CLIRunner.run([
                "simulate", "--requests", "400", "--replicas", "3", "--router", "random", "--seed", "7",
                "--requests-csv", csv, "--json", json,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            csvs.append(try Data(contentsOf: URL(fileURLWithPath: csv)))
            var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
            o["wallSeconds"] = nil
            jsons.append(o)
        }
        #expect(csvs[0] == csvs[1])
        // Compared as canonical JSON (NSDictionary equality on Linux mishandles arrays of objects such as `stepModels`).
        let canonical = try jsons.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        #expect(canonical[0] == canonical[1])
        // With --reproducible even the JSON files are byte-identical.
        var files: [Data] = []
        for i in 0..<2 {
            let json = dir.appendingPathComponent("p\(i).json").path
            let r = try CLIRunner.run(["simulate", "--requests", "200", "--seed", "3", "--reproducible", "--json", json])
            #expect(r.status == 0, "\(r.stderr)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: json)))
        }
        #expect(files[0] == files[1])
    }

    @Test func unknownNamesAreUsageErrorsListingValidNames() throws {
        let m = try CLIRunner.run(["simulate", "--model", "gpt-5", "--requests", "10"])
        #expect(m.status == 2)
        #expect(m.stderr.contains("llama-3.1-8b"))
        let s = try CLIRunner.run(["simulate", "--scheduler", "fifo", "--requests", "10"])
        #expect(s.status == 2)
        #expect(s.stderr.contains("sarathi"))
        let g = try CLIRunner.run(["simulate", "--gpu", "tpu", "--requests", "10"])
        #expect(g.status == 2)
        #expect(g.stderr.contains("h100-sxm"))
        let bad = try CLIRunner.run(["simulate", "--replicas", "abc"])
        #expect(bad.status == 2)
    }

    @Test func modelThatDoesNotFitSaysByHowMuch() throws {
        let r = try CLIRunner.run(["simulate", "--model", "llama-3.1-70b", "--gpu", "l4", "--requests", "10"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("short by"))
    }

    @Test func malformedTraceNamesFileLineAndField() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let path = dir.appendingPathComponent("bad.csv").path
        try "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:47.0000000,abc,12\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["simulate", "--trace", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.csv:3"))
        #expect(r.stderr.contains("ContextTokens"))
    }

    @Test func compareShowsEveryConfigurationOnTheSameArrivals() throws {
        let html = try CLIRunner.temporaryDirectory().appendingPathComponent("compare.html")
        let r = try CLIRunner.run(["compare", "--requests", "300", "--schedulers", "vllm,sarathi", "--routers", "round-robin,least-work", "--html", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        for title in ["Time to first token (TTFT) CDF", "Time between tokens (TBT) CDF", "SLO attainment", "GPU utilisation over time", "KV-cache use over time"] {
            #expect(page.contains(title), "the report has \(title)")
        }
        #expect(page.components(separatedBy: "<svg").count - 1 == 6 && page.contains("sarathi/least-work"))
        // A sweep over rates: curves against load with each configuration's capacity marked.
        let sweepHTML = html.deletingLastPathComponent().appendingPathComponent("sweep.html")
        let sweep = try CLIRunner.run(["compare", "--requests", "300", "--schedulers", "vllm,sarathi", "--rates", "2,8,64", "--html", sweepHTML.path])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout.contains("capacity within the sweep") && sweep.stdout.contains("vllm/round-robin @ 64.00"))
        let sweepPage = try String(contentsOf: sweepHTML, encoding: .utf8)
        #expect(sweepPage.contains("SLO attainment against load") && sweepPage.contains("capacity vllm/round-robin"))
        let badRates = try CLIRunner.run(["compare", "--requests", "10", "--rates", "2,x"])
        #expect(badRates.status == 2 && badRates.stderr.contains("--rates"))
        for label in ["vllm/round-robin", "vllm/least-work", "sarathi/round-robin", "sarathi/least-work"] {
            #expect(r.stdout.contains(label))
        }
        // Two SLO classes: attainment and p99 TTFT per class, and a row per class and run (one class: none, as above).
        let classesHTML = html.deletingLastPathComponent().appendingPathComponent("classes.html")
        let classes = try CLIRunner.run([
            "compare", "--requests", "300", "--schedulers", "vllm", "--slo", "tight:0.5:ttft=0.0001", "--slo", "loose:0.5:e2e=600",
            "--json", classesHTML.path + ".json", "--html", classesHTML.path,
        ])
        #expect(classes.status == 0, "\(classes.stderr)")
        let classesPage = try String(contentsOf: classesHTML, encoding: .utf8)
        #expect(classesPage.contains("SLO attainment per SLO class") && classesPage.contains("p99 time to first token per SLO class"))
        #expect(classesPage.contains("<td>tight</td><td>TTFT ≤ 0.1 ms</td>") && classesPage.contains("<td>loose</td><td>E2E ≤ 600 s</td>"))
        #expect(classesPage.components(separatedBy: "<svg").count - 1 == 9 && classesPage.contains("Time to first token CDF per SLO class"))
        #expect(classesPage.contains("tight target 0.1 ms"), "the class's TTFT target is marked on its CDF")
        let perClass = try #require(
            ((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: classesHTML.path + ".json"))) as? [String: Any])?["runs"] as? [[String: Any]])?
                .first?["perClass"] as? [String: [String: Any]])
        #expect(perClass["tight"]?["sloAttainment"] as? Double == 0 && perClass["loose"]?["sloAttainment"] as? Double == 1,
                "a 0.1 ms TTFT is never met, a 10-minute deadline always")
    }

    @Test func capacityFindsARateAndPrintsTheCurve() throws {
        let html = try CLIRunner.temporaryDirectory().appendingPathComponent("capacity.html")
        let r = try CLIRunner.run([
            "capacity", "--requests", "300", "--replicas", "1", "--target", "p50(ttft)<=0.5 and p99(tbt)<=0.2", "--min-rate", "2",
            "--tolerance", "0.1", "--html", html.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("capacity:"))
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("SLO attainment against load") && page.contains("p99 time to first token against load") && page.contains("capacity "))
        #expect(page.contains("Cost per million output tokens against load"))
        #expect(r.stdout.contains("yes"))
        let bad = try CLIRunner.run(["capacity", "--target", "p42(ttft)<=1"])
        #expect(bad.status == 2)
    }

    @Test func catalogListsGPUsAndModels() throws {
        let r = try CLIRunner.run(["catalog"])
        #expect(r.status == 0)
        for name in ["a100-80g", "h100-sxm", "h200", "l40s", "rtx-6000-ada", "l4", "a10g", "llama-2-7b", "llama-3.1-70b", "mixtral-8x7b", "qwen3-32b"] {
            #expect(r.stdout.contains(name), "catalog lists \(name)")
        }
    }
}

/// The SLAI reproduction end to end on a reduced size.
struct ReproduceCLITests {
    @Test func reproduceSLAIRunsAndWritesTheHeadlineKeys() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("slai.json").path
        let r = try CLIRunner.run(["reproduce", "slai", "--requests", "400", "--rates", "0.5,1.5,3,6", "--json", json, "--html", json + ".html"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: URL(fileURLWithPath: json + ".html"), encoding: .utf8)
        #expect(page.contains("Headline figures: ours and the paper") && page.contains(">paper<") && page.contains("Median TTFT against load"))
        #expect(r.stdout.contains("capacity gain slai over sarathi"))
        #expect(r.stdout.contains("paper: +26.0%"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for key in ["capacity", "capacityGain", "medianTTFTReduction", "settings", "paper"] { #expect(object[key] != nil, "has \(key)") }
        let capacity = object["capacity"] as! [String: Double]
        #expect(capacity["sarathi"] != nil && capacity["slai"] != nil)
        let bad = try CLIRunner.run(["reproduce", "slai", "--rates", "1,x"])
        #expect(bad.status == 2)
    }

    @Test func reproduceSARunsAndWritesTheHeadlineKeys() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("sa.json").path
        let r = try CLIRunner.run(["reproduce", "sa", "--requests", "300", "--rates", "4,12", "--json", json, "--html", json + ".html"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: URL(fileURLWithPath: json + ".html"), encoding: .utf8)
        #expect(page.contains("SLO attainment against load") && page.contains("paper (up to)"))
        #expect(r.stdout.contains("best SLO attainment ratio sa-slo / fcfs"))
        #expect(r.stdout.contains("paper: up to 5.0x"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for key in ["sloAttainment", "meanLatency", "bestAttainmentRatio", "meanLatencyReduction", "decisionMicroseconds"] {
            #expect(object[key] != nil, "has \(key)")
        }
        let attainment = object["sloAttainment"] as! [String: [Double]]
        #expect(Set(attainment.keys) == ["fcfs", "edf", "sjf", "priority", "sa-slo"] && attainment["sa-slo"]?.count == 2)
        let decision = object["decisionMicroseconds"] as! [String: Double]
        #expect(decision["p50"] != nil && decision["p99"] != nil)
        let sim = try CLIRunner.run(["simulate", "--requests", "200", "--request-scheduler", "sa-slo", "--slo", "code:50%:e2e=4", "--slo", "chat:50%:ttft=1,tpot=0.1"])
        #expect(sim.status == 0 && sim.stdout.contains("latency predictor (sa-slo)"), "\(sim.stderr)")
        let bad = try CLIRunner.run(["simulate", "--requests", "10", "--request-scheduler", "lifo"])
        #expect(bad.status == 2 && bad.stderr.contains("sa-slo"))
    }

    @Test func reproduceDeepServeRunsAndWritesTheHeadlineKeys() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let json = dir.appendingPathComponent("deepserve.json").path
        let r = try CLIRunner.run([
            "reproduce", "deepserve", "--azure-requests", "400", "--sharegpt-requests", "300", "--max-replicas", "2", "--json", json, "--html", json + ".html",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("bandit vs best-static") && r.stdout.contains("cost lower bound"))
        let page = try String(contentsOf: URL(fileURLWithPath: json + ".html"), encoding: .utf8)
        #expect(page.contains("Bandit against the baselines") && page.contains("paper, low end") && page.contains("Static pools"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for key in ["p99Latency", "gpuUtilization", "costPerRequestUSD", "sloAttainment", "costLowerBoundUSD", "scenarios"] {
            #expect(object[key] != nil, "has \(key)")
        }
        let attainment = object["sloAttainment"] as! [String: Double]
        #expect(Set(attainment.keys) == ["best-static", "concurrency", "queue-slo", "bandit"])
        let elastic = try CLIRunner.run([
            "simulate", "--requests", "300", "--autoscaler", "concurrency", "--max-replicas", "3", "--spot", "--budget", "default:usd=1,period=60",
        ])
        #expect(elastic.status == 0 && elastic.stdout.contains("tenant default"), "\(elastic.stderr)")
        let bad = try CLIRunner.run(["simulate", "--requests", "10", "--autoscaler", "hpa"])
        #expect(bad.status == 2 && bad.stderr.contains("bandit"))
        let badBudget = try CLIRunner.run(["simulate", "--requests", "10", "--budget", "x:usd=-1"])
        #expect(badBudget.status == 2)
    }
}
