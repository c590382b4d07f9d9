// TEMPORARY stubs until the workload/catalog/calibration branches merge.
import ArgumentParser
import SluiceCore
import SluiceSimulator
struct WorkloadOptions: ParsableArguments {
    @Option var seed: UInt64 = 0
    @Option var requests: Int?
    func sloClassTable() throws -> SLOClassTable { SLOClassTable([]) }
    func makeSource(sloClasses: SLOClassTable, rateOverride: Double?) throws -> ArrayRequestSource { ArrayRequestSource([]) }
    func describe() -> String { "" }
}
enum WorkloadHelp { static let text = "" }
enum CatalogLoader { static func builtIn(merging: [String]) throws -> Catalog { Catalog() } }
enum StepModelFactory {
    static func rooflineParameters(calibration: String, deployment: Deployment) throws -> RooflineParameters { RooflineParameters() }
    static func tableModel(profile: String, deployment: Deployment, parameters: RooflineParameters) throws -> any StepTimeModel { RooflineStepTimeModel(deployment: deployment) }
}
struct Calibrate: ParsableCommand {}
