import Testing

@testable import SluiceCore

/// Calibration math: the minimiser, the roofline calibrator and its diagnostics (SIMULATION.md §2.7, advice 3).
struct CalibrationTests {
    /// Llama-3.1-8B on H100-SXM (the bundled catalog's entries), TP 1.
    static let deployment = Deployment(
        model: ModelSpec(
            name: "llama-3.1-8b", layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336,
            gatedMLP: true, vocabSize: 128256, contextLengthTokens: 131072),
        gpu: GPUSpec(
            name: "h100-sxm", peakFlopsPerSecond: 989e12, memoryBandwidthBytesPerSecond: 3.35e12,
            memoryBytes: 80 * 1_073_741_824, linkBandwidthBytesPerSecond: 450e9, pricePerHourUSD: 3))

    /// Parameters far from the defaults, to be recovered.
    static let truth = RooflineParameters(
        computeEfficiency: 0.72, weightStreamEfficiency: 0.66, attentionEfficiency: 0.42, stepOverheadSeconds: 400e-6,
        perSequenceOverheadSeconds: 30e-6, gemmOverlapLoss: 0.35)

    /// Prefills of several sizes and contexts, decode batches of several sizes and contexts, and mixed batches.
    static func syntheticPoints(_ model: RooflineStepTimeModel) -> [CalibrationPoint] {
        var shapes: [BatchShape] = []
        for (chunk, context) in [(64, 0), (256, 0), (512, 4096), (1024, 0), (2048, 0), (2048, 8192), (4096, 12288)] {
            var b = BatchShape()
            b.addPrefill(newTokens: chunk, contextTokens: context)
            shapes.append(b)
        }
        for (decodes, context) in [(1, 512), (8, 2048), (32, 1024), (64, 4096), (128, 512), (256, 2048)] {
            var b = BatchShape()
            for _ in 0..<decodes { b.addDecode(contextTokens: context) }
            shapes.append(b)
        }
        for (chunk, decodes) in [(256, 16), (512, 64), (128, 200)] {
            var b = BatchShape()
            b.addPrefill(newTokens: chunk, contextTokens: chunk)
            for _ in 0..<decodes { b.addDecode(contextTokens: 1500) }
            shapes.append(b)
        }
        return shapes.enumerated().map { i, shape in
            CalibrationPoint(shape: shape, measuredSeconds: model.stepSeconds(shape), label: "synthetic \(i)")
        }
    }

    @Test func nelderMeadFindsTheRosenbrockMinimum() {
        let rosenbrock = { (x: [Double]) -> Double in
            let a = 1 - x[0]
            let b = x[1] - x[0] * x[0]
            return a * a + 100 * b * b
        }
        let searcher = NelderMead(maxEvaluations: 5000, functionTolerance: 1e-16, pointTolerance: 1e-10)
        let outcome = searcher.minimize(rosenbrock, start: [-1.2, 1], step: [0.5, 0.5])
        #expect(abs(outcome.point[0] - 1) < 1e-4)
        #expect(abs(outcome.point[1] - 1) < 1e-4)
    }

    @Test func calibratorRecoversKnownParameters() throws {
        let truthModel = RooflineStepTimeModel(deployment: Self.deployment, parameters: Self.truth)
        let points = Self.syntheticPoints(truthModel)
        let calibrator = try RooflineCalibrator(deployment: Self.deployment)
        let result = try calibrator.fit(points)
        let got = result.parameters
        for name in RooflineCalibrator.defaultFittedParameters {
            let i = RooflineParameters.names.firstIndex(of: name)!
            let relative = abs(got.values[i] - Self.truth.values[i]) / Self.truth.values[i]
            #expect(relative < 0.03, "\(name): fitted \(got.values[i]), true \(Self.truth.values[i])")
        }
        #expect(result.maxAbsolutePercentageError < 0.1)
        #expect(result.weaklyDeterminedParameters.isEmpty)
        #expect(result.predictedSeconds.count == points.count)
    }

    @Test func fitIsDeterministic() throws {
        let truthModel = RooflineStepTimeModel(deployment: Self.deployment, parameters: Self.truth)
        let points = Array(Self.syntheticPoints(truthModel).prefix(8))
        let calibrator = try RooflineCalibrator(
            deployment: Self.deployment,
            fitting: ["computeEfficiency", "weightStreamEfficiency", "stepOverheadSeconds"])
        #expect(try calibrator.fit(points) == calibrator.fit(points))
    }

    @Test func singleSequencePointsCannotSeparateStepAndSequenceOverheads() throws {
        // Every batch holds one sequence: τ_step and τ_req·S are the same column of the Jacobian.
        let truthModel = RooflineStepTimeModel(deployment: Self.deployment, parameters: Self.truth)
        let points = [64, 256, 1024, 2048, 4096].map { tokens in
            var b = BatchShape()
            b.addPrefill(newTokens: tokens, contextTokens: 0)
            return CalibrationPoint(shape: b, measuredSeconds: truthModel.stepSeconds(b))
        }
        let calibrator = try RooflineCalibrator(
            deployment: Self.deployment,
            fitting: ["computeEfficiency", "stepOverheadSeconds", "perSequenceOverheadSeconds"])
        let result = try calibrator.fit(points)
        #expect(result.weaklyDeterminedParameters == ["perSequenceOverheadSeconds"])  // the later of the two
    }

    @Test func parametersStayInBoundsAndBoundsAreReported() throws {
        // Steps far faster than the hardware allows push the efficiencies to 1 and the overhead to 0.
        let model = RooflineStepTimeModel(deployment: Self.deployment)
        let points = [16, 1024, 4096].map { tokens in
            var b = BatchShape()
            b.addPrefill(newTokens: tokens, contextTokens: 0)
            return CalibrationPoint(shape: b, measuredSeconds: model.stepSeconds(b) / 4)
        }
        let calibrator = try RooflineCalibrator(
            deployment: Self.deployment,
            fitting: ["computeEfficiency", "weightStreamEfficiency", "stepOverheadSeconds"])
        let result = try calibrator.fit(points)
        #expect(result.parameters.computeEfficiency <= 1)
        #expect(result.parameters.weightStreamEfficiency <= 1)
        #expect(result.parameters.stepOverheadSeconds >= 0)
        #expect(result.parametersAtBounds.contains("computeEfficiency"))
        #expect(result.parametersAtBounds.contains("weightStreamEfficiency"))
    }

    @Test func calibratorRejectsUnknownNamesAndBadPoints() throws {
        #expect(throws: SluiceError.self) { try RooflineCalibrator(deployment: Self.deployment, fitting: ["speed"]) }
        #expect(throws: SluiceError.self) { try RooflineCalibrator(deployment: Self.deployment, fitting: []) }
        let calibrator = try RooflineCalibrator(deployment: Self.deployment)
        #expect(throws: SluiceError.self) { try calibrator.fit([]) }
        #expect(throws: SluiceError.self) {
            try calibrator.fit([CalibrationPoint(shapes: [BatchShape()], measuredSeconds: 1)])
        }
        var b = BatchShape()
        b.addDecode(contextTokens: 10)
        #expect(throws: SluiceError.self) { try calibrator.fit([CalibrationPoint(shape: b, measuredSeconds: 0)]) }
    }

    @Test func statisticsAreMedianAndMaxAbsolutePercentageError() {
        var b = BatchShape()
        b.addDecode(contextTokens: 1)
        let points = [1.0, 2.0, 4.0, 5.0].map { CalibrationPoint(shape: b, measuredSeconds: $0) }
        let result = CalibrationResult(
            parameters: RooflineParameters(), fittedParameterNames: [], points: points,
            predictedSeconds: [1.1, 2.0, 3.0, 5.5], sumSquaredRelativeError: 0)
        #expect(abs(result.medianAbsolutePercentageError - 10) < 1e-9)  // errors 10, 0, 25, 10
        #expect(abs(result.maxAbsolutePercentageError - 25) < 1e-9)
    }

    @Test func roundingKeepsSignificantDigits() {
        #expect(RooflineCalibrator.round(0.000123456789, significantDigits: 3) == 0.000123)
        #expect(RooflineCalibrator.round(1234.5678, significantDigits: 6) == 1234.57)
        #expect(RooflineCalibrator.round(0, significantDigits: 6) == 0)
    }

    @Test func roofline_attentionAndCommunicationHelpersMatchStepTime() {
        var deployment = Self.deployment
        deployment.tensorParallel = 2
        let params = RooflineParameters(stepOverheadSeconds: 0, perSequenceOverheadSeconds: 0)
        let model = RooflineStepTimeModel(deployment: deployment, parameters: params)
        var b = BatchShape()
        b.addPrefill(newTokens: 4096, contextTokens: 0)  // compute-bound: T_lin = F_lin / (η_c·F)
        let linear =
            (2 * 4096 * 32 * (deployment.model.attentionParametersPerLayer + deployment.model.ffnParametersPerExpert)
                + 2 * Double(deployment.model.vocabSize * deployment.model.hiddenSize)) / 2 / (0.8 * 989e12)
        let sum = linear + model.attentionSeconds(b) + model.communicationSeconds(b)
        #expect(abs(sum - model.stepSeconds(b)) / model.stepSeconds(b) < 1e-12)
        #expect(model.communicationSeconds(b) > 0)
        #expect(model.attentionSeconds(BatchShape()) == 0)
    }
}
