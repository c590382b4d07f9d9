// TEMPORARY stubs until the workload/catalog/calibration branches merge.
import ArgumentParser
import Foundation
import SluiceCore
import SluiceSimulator
enum CatalogLoader { static func builtIn(merging: [String]) throws -> Catalog { try Catalog(json: Data(contentsOf: URL(fileURLWithPath: "/work/main/Sources/SluiceSimulator/Resources/catalog.json")), file: "x") } }
enum StepModelFactory {
    static func rooflineParameters(calibration: String, deployment: Deployment) throws -> RooflineParameters { RooflineParameters() }
    static func tableModel(profile: String, deployment: Deployment, parameters: RooflineParameters) throws -> any StepTimeModel { RooflineStepTimeModel(deployment: deployment) }
}
struct Calibrate: ParsableCommand {}
