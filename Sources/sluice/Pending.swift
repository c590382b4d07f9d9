// TEMPORARY stubs until the workload/catalog/calibration branches merge.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceSimulator
struct WorkloadOptions: ParsableArguments {
    @Option var seed: UInt64 = 0
    @Option var requests: Int?
    func sloClassTable() throws -> SLOClassTable { SLOClassTable([]) }
    func makeSource(sloClasses: SLOClassTable, rateOverride: Double?) throws -> ArrayRequestSource {
        let text = try String(contentsOfFile: "/work/shared/data/traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", encoding: .utf8)
        var reqs: [Request] = []
        var t0: Double? = nil
        for (i, line) in text.split(whereSeparator: \.isNewline).dropFirst().enumerated() {
            let f = line.split(separator: ",")
            let ts = f[0].split(separator: " ")[1].split(separator: ":")
            let sec = Double(ts[0])! * 3600 + Double(ts[1])! * 60 + Double(ts[2])!
            if t0 == nil { t0 = sec }
            reqs.append(Request(id: i, arrivalSeconds: sec - t0!, promptTokens: Int(f[1])!, outputTokens: max(1, Int(f[2])!)))
        }
        return ArrayRequestSource(reqs)
    }
    func describe() -> String { "" }
}
enum WorkloadHelp { static let text = "" }
enum CatalogLoader { static func builtIn(merging: [String]) throws -> Catalog { try Catalog(json: Data(contentsOf: URL(fileURLWithPath: "/work/main/Sources/SluiceSimulator/Resources/catalog.json")), file: "x") } }
enum StepModelFactory {
    static func rooflineParameters(calibration: String, deployment: Deployment) throws -> RooflineParameters { RooflineParameters() }
    static func tableModel(profile: String, deployment: Deployment, parameters: RooflineParameters) throws -> any StepTimeModel { RooflineStepTimeModel(deployment: deployment) }
}
struct Calibrate: ParsableCommand {}
