import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator
import Testing

/// Calibration files, the bundled SLAI calibration (Mistral-7B on RTX 6000 Ada) and the calibration store.
struct CalibrationFileTests {
    /// The requirement on the bundled SLAI calibration: every row within this many percent.
    static let slaiMaxAPEPercent = 10.0

    static func bundledSLAI() throws -> CalibrationFile {
        try CalibrationStore.bundled().calibration(model: "mistral-7b", gpu: "rtx-6000-ada", tensorParallel: 1)
    }

    @Test func aShareAboveOneIsRefusedWithItsField() throws {
        var file = try Self.bundledSLAI()
        file.parameters.fp8AttentionShare = 2
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("share-\(UUID().uuidString).json").path
        try file.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try CalibrationFile(contentsOf: path)
        } throws: { error in
            "\(error)".contains("parameters.fp8AttentionShare")
        }
    }

    @Test func bundledSLAICalibrationPredictsEveryRowWithinTenPercent() throws {
        let file = try Self.bundledSLAI()
        let model = RooflineStepTimeModel(deployment: CalibrationFixtures.slaiDeployment, parameters: file.parameters)
        let points = try ChunkSweepCSV.points(contentsOf: CalibrationFixtures.slaiPath)
        #expect(points.count == 7)
        var errors: [Double] = []
        for point in points {
            let predicted = point.predictedSeconds(by: model)
            let ape = 100 * abs(predicted - point.measuredSeconds) / point.measuredSeconds
            errors.append(ape)
            #expect(
                ape < Self.slaiMaxAPEPercent,
                "\(point.label): measured \(point.measuredSeconds), predicted \(predicted)")
        }
        #expect(file.statistics.points == points.count)
        #expect(abs(file.statistics.maxAPEPercent - errors.max()!) < 0.01)
        #expect(file.fittedParameters == CalibrationFixtures.slaiFittedParameters)
        #expect(file.sourceData == "slai-mistral7b-rtx6000ada.csv")
        #expect(file.modelSpec == CalibrationFixtures.mistral7B)
    }

    /// Run with `SLUICE_REGENERATE_CALIBRATIONS=1 swift test --filter bundledSLAICalibrationIsAFreshFit` to rewrite
    /// the bundled file after changing the model, the calibrator or the data.
    @Test func bundledSLAICalibrationIsAFreshFit() throws {
        let (_, fresh) = try CalibrationFixtures.fitSLAI()
        if ProcessInfo.processInfo.environment["SLUICE_REGENERATE_CALIBRATIONS"] == "1" {
            try fresh.write(to: CalibrationFixtures.bundledSLAIPath)
        }
        let bundled = try Self.bundledSLAI()
        for (name, (a, b)) in zip(RooflineParameters.names, zip(bundled.parameters.values, fresh.parameters.values)) {
            #expect(
                abs(a - b) <= 1e-4 * max(abs(a), abs(b)), "\(name): bundled \(a), fresh fit \(b); regenerate the file")
        }
    }

    @Test func jsonRoundTripIsLosslessAndDeterministic() throws {
        let (_, file) = try CalibrationFixtures.fitSLAI()
        let data = try file.jsonData()
        let decoded = try CalibrationFile(json: data, file: "round-trip.json")
        #expect(decoded == file)
        #expect(try decoded.jsonData() == data)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"computeEfficiency\""))
        #expect(!text.contains("/work/"))  // only the data file's name, not its path
    }

    @Test func writeAndReadAFile() throws {
        let (_, file) = try CalibrationFixtures.fitSLAI()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-calib-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        #expect(try CalibrationFile(contentsOf: path) == file)
        let store = try CalibrationStore.bundled()
        #expect(try store.resolve(path) == file)
        let parameters = try store.parameters(for: CalibrationFixtures.slaiDeployment, from: path)
        #expect(parameters == file.parameters)
    }

    @Test func invalidFilesNameTheField() throws {
        let (_, file) = try CalibrationFixtures.fitSLAI()
        var bad = file
        bad.parameters.computeEfficiency = 1.5
        let data = try bad.jsonData()
        #expect {
            try CalibrationFile(json: data, file: "bad.json")
        } throws: { error in
            "\(error)".contains("bad.json field 'parameters.computeEfficiency'")
        }
        let missing = Data(#"{"formatVersion": 1, "model": "m"}"#.utf8)
        #expect(throws: SluiceError.self) { try CalibrationFile(json: missing, file: "missing.json") }
    }

    @Test func storeLooksUpByNameAndExplainsMisses() throws {
        let store = try CalibrationStore.bundled()
        #expect(store.names.contains("mistral-7b@rtx-6000-ada (TP 1)"))
        #expect(try store.calibration(named: "Mistral-7B@RTX-6000-Ada") == Self.bundledSLAI())
        #expect(try store.parameters(for: CalibrationFixtures.slaiDeployment) == Self.bundledSLAI().parameters)
        #expect {
            try store.calibration(named: "mistral-7b@rtx-6000-ada", tensorParallel: 2)
        } throws: { error in
            "\(error)".contains("mistral-7b@rtx-6000-ada (TP 1)")
        }
        #expect(throws: SluiceError.self) { try store.calibration(named: "mistral-7b") }
        var other = CalibrationFixtures.slaiDeployment
        other.gpu.name = "h100-sxm"
        #expect(throws: SluiceError.self) { try store.parameters(for: other, from: "mistral-7b@rtx-6000-ada") }
    }
}
