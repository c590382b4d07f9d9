import Foundation
import SluiceCore
import SluiceCatalog
import SluiceLedger
import SluiceSimulator

/// `sluice calibrate --from-ledger LEDGER --upstream NAME --model M --gpu G [--tp N]`: a calibration file for an
/// upstream from what the gateway recorded of it.
///
/// Every streamed, answered request of the upstream gives two measured steps: its TPOT is a decode iteration of as many
/// sequences as the upstream had in flight at the request's midpoint (reconstructed from the ledger's own intervals)
/// over the request's mean context, and its time to first token less the gateway queue is a prefill of its prompt.
/// The roofline is fitted on the earlier part of the ledger and its error reported on the latest `heldOutShare`
/// (a time split: the fit never sees the requests it is judged on).
struct LedgerCalibration {
    let ledgerPath: String
    let upstream: String
    let deployment: Deployment
    let fit: [String]
    let engine: String?
    let output: String?

    /// Entries read from the ledger, newest first.
    static let entryLimit = 50_000
    /// Share of the latest requests held out.
    static let heldOutShare = 0.2
    /// Fewest streamed answers a fit is made from.
    static let minimumAnswers = 10

    /// The measured steps of one ledger entry set, in time order.
    static func points(_ entries: [LedgerEntry], upstream: String) -> [CalibrationPoint] {
        let mine = entries.filter { $0.upstream == upstream && $0.status == 200 && $0.stream && $0.completionTokens > 1 && $0.ttftSeconds != nil }
            .sorted { $0.finishedAtUnixSeconds < $1.finishedAtUnixSeconds }
        // In flight at an instant: intervals on the upstream (dispatch to finish) that contain it.
        let all = entries.filter { $0.upstream == upstream }
        let starts = all.map { $0.finishedAtUnixSeconds - $0.e2eSeconds + $0.queueSeconds }.sorted()
        let ends = all.map(\.finishedAtUnixSeconds).sorted()
        func count(_ xs: [Double], atMost t: Double) -> Int {
            var lo = 0, hi = xs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if xs[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var points: [CalibrationPoint] = []
        for e in mine {
            let start = e.finishedAtUnixSeconds - e.e2eSeconds + e.queueSeconds
            let middle = (start + e.finishedAtUnixSeconds) / 2
            let inFlight = max(1, count(starts, atMost: middle) - count(ends, atMost: middle))
            let ttft = e.ttftSeconds! - e.queueSeconds
            let tpot = (e.e2eSeconds - e.ttftSeconds!) / Double(e.completionTokens - 1)
            guard ttft > 0, tpot > 0 else { continue }
            var decode = BatchShape()
            for _ in 0..<inFlight { decode.addDecode(contextTokens: e.promptTokens + e.completionTokens / 2) }
            points.append(CalibrationPoint(shape: decode, measuredSeconds: tpot, label: "\(e.requestID) TPOT at \(inFlight)"))
            var prefill = BatchShape()
            prefill.addPrefill(newTokens: e.promptTokens, contextTokens: 0)
            points.append(CalibrationPoint(shape: prefill, measuredSeconds: ttft, label: "\(e.requestID) TTFT"))
        }
        return points
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: ledgerPath) else {
            throw SluiceError.io(path: ledgerPath, reason: "no such ledger file")
        }
        let store = try SQLiteLedgerStore(path: ledgerPath)
        let points = Self.points(try await store.recentEntries(limit: Self.entryLimit), upstream: upstream)
        let minimum = Self.minimumAnswers
        guard points.count >= 2 * minimum else {
            throw SluiceError.invalidValue(
                field: "--upstream", value: "\(upstream): \(points.count / 2) streamed answers in \(CalibrationFile.fileName(of: ledgerPath))",
                allowed: "an upstream with at least \(minimum) streamed, answered requests in the ledger")
        }
        // Pairs stay together: split on an even index.
        let split = Int(Double(points.count / 2) * (1 - Self.heldOutShare)) * 2
        let train = Array(points[..<split]), test = Array(points[split...])
        let calibrator = try RooflineCalibrator(deployment: deployment, fitting: fit)
        let heldOutResult = calibrator.evaluate(try calibrator.fit(train).parameters, on: test)
        let all = try calibrator.fit(points)
        let apes = heldOutResult.absolutePercentageErrors.map { $0 / 100 }
        var decode: [Double] = [], prefill: [Double] = []
        for (p, e) in zip(test, apes) { if p.shapes[0].prefillSequences == 0 { decode.append(e) } else { prefill.append(e) } }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let sorted = apes.sorted()
        let heldOut = CalibrationFile.HeldOutStatistics(
            configurations: 1, stepMedianAPE: median(apes), stepP90APE: sorted[min(sorted.count - 1, Int(0.9 * Double(sorted.count)))],
            decodeMedianAPE: decode.isEmpty ? nil : median(decode), prefillMedianAPE: prefill.isEmpty ? nil : median(prefill))
        print("\(upstream) as \(deployment.label): \(points.count / 2) streamed answers from \(CalibrationFile.fileName(of: ledgerPath)); fitted on the first \(split / 2), judged on the latest \(test.count / 2)")
        var t = TextTable(["parameter", "value"])
        for (name, value) in zip(RooflineParameters.names, all.parameters.values) { t.add([name, String(value) + (fit.contains(name) ? "  (fitted)" : "")]) }
        print(t.render())
        print("held out (latest \(Int(Self.heldOutShare * 100)) %): step median APE \(fixed(heldOut.stepMedianAPE * 100, 1))%, decode \(fixed((heldOut.decodeMedianAPE ?? 0) * 100, 1))%, prefill \(fixed((heldOut.prefillMedianAPE ?? 0) * 100, 1))%")
        var file = CalibrationFile(
            result: all, deployment: deployment, sourceData: CalibrationFile.fileName(of: ledgerPath),
            description: "Fitted by sluice calibrate --from-ledger to upstream \(upstream)'s streamed answers (TPOT as a decode of the requests in flight, TTFT less the gateway queue as a prefill); held-out error on the latest \(Int(Self.heldOutShare * 100)) % of requests.")
        file.engine = engine
        file.heldOut = heldOut
        file.sources = ["gateway ledger \(CalibrationFile.fileName(of: ledgerPath)), upstream \(upstream)"]
        let path = output ?? "\(deployment.model.name)@\(deployment.gpu.name)\(deployment.tensorParallel > 1 ? "x\(deployment.tensorParallel)" : "").json"
        try file.write(to: path)
        print("wrote \(path)")
    }
}
