import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// Builds step-time models from the `--step-model`, `--profile` and `--calibration` flags.
enum StepModelFactory {
    /// The roofline parameters for a deployment: `none` gives the uncalibrated defaults, `auto` the bundled
    /// calibration of the deployment's model, GPU and TP when one exists (defaults otherwise), and anything else
    /// a calibration file path or a `model@gpu` name.
    static func rooflineParameters(calibration: String, deployment: Deployment, engine: String? = nil) throws
        -> (parameters: RooflineParameters, provenance: StepModelProvenance)
    {
        let label = deployment.label
        switch calibration.lowercased() {
        case "none":
            return (RooflineParameters(), StepModelProvenance(deployment: label, model: "roofline"))
        case "auto":
            let dtype = deployment.model.bytesPerWeight <= 1 ? "fp8" : "bf16"
            guard let (file, match) = try CalibrationStore.bundled().bestMatch(for: deployment, engine: engine, dtype: dtype) else {
                return (RooflineParameters(), StepModelProvenance(deployment: label, model: "roofline"))
            }
            return (file.parameters, provenance(file, match: match.description, deployment: deployment))
        default:
            let store = try CalibrationStore.bundled()
            let file = try store.resolve(calibration, tensorParallel: deployment.tensorParallel)
            _ = try store.parameters(for: deployment, from: calibration)  // the same model, GPU and TP, or a clear error
            return (file.parameters, provenance(file, match: "exact", deployment: deployment))
        }
    }

    private static func provenance(_ file: CalibrationFile, match: String, deployment: Deployment) -> StepModelProvenance {
        var name = "\(file.key)"
        if file.tensorParallel > 1 { name += "x\(file.tensorParallel)" }
        if let engine = file.engine { name += " [\(engine)\(file.dtype.map { ", \($0)" } ?? "")]" }
        return StepModelProvenance(
            deployment: deployment.label, model: "roofline", calibration: name, match: match, heldOutError: file.heldOut?.summary)
    }

    /// The Vidur-table model for a deployment.
    static func tableModel(profile: String, deployment: Deployment, parameters: RooflineParameters) throws -> any StepTimeModel {
        try VidurProfileLoader.stepTimeModel(path: profile, deployment: deployment, parameters: parameters)
    }
}
