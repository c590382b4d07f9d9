import SluiceCore
import SluiceSimulator

/// Builds step-time models from the `--step-model`, `--profile` and `--calibration` flags.
enum StepModelFactory {
    /// The roofline parameters for a deployment: `none` gives the uncalibrated defaults, `auto` the bundled
    /// calibration of the deployment's model, GPU and TP when one exists (defaults otherwise), and anything else
    /// a calibration file path or a `model@gpu` name.
    static func rooflineParameters(calibration: String, deployment: Deployment) throws -> RooflineParameters {
        switch calibration.lowercased() {
        case "none":
            return RooflineParameters()
        case "auto":
            let store = try CalibrationStore.bundled()
            let d = deployment
            guard store.files.contains(where: { $0.key == "\(d.model.name)@\(d.gpu.name)" && $0.tensorParallel == d.tensorParallel }) else {
                return RooflineParameters()
            }
            return try store.parameters(for: deployment)
        default:
            return try CalibrationStore.bundled().parameters(for: deployment, from: calibration)
        }
    }

    /// The Vidur-table model for a deployment.
    static func tableModel(profile: String, deployment: Deployment, parameters: RooflineParameters) throws -> any StepTimeModel {
        try VidurProfileLoader.stepTimeModel(path: profile, deployment: deployment, parameters: parameters)
    }
}
