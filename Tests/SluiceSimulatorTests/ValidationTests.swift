import Foundation
import SluiceCore
import SluiceEngineModel
import SluiceCatalog
import SluiceSimulator
import Testing

/// `sluice validate`'s readers and statistics, and the GPU-wide calibration (issue 14).
struct ValidationTests {
    static let header = "model,gpu,tp,dtype,concurrency,input_tokens,output_tokens,ttft_ms,tpot_ms,engine"

    @Test func concurrencyCSVIsReadAndMalformedRowsNameLineAndField() throws {
        let good = Self.header + "\nllama-3.1-8b,h100-sxm,1,bf16,4,512,128,40.5,7.25,vllm\n"
        let runs = try MeasuredDataReader.concurrencyRuns(parsing: good, file: "m.csv")
        #expect(runs.count == 1)
        #expect(runs[0].concurrency == 4 && runs[0].tpotSeconds == 0.00725 && runs[0].engine == "vllm")
        #expect(runs[0].group == "llama-3.1-8b@h100-sxm tp1 bf16 vllm")
        let bad = Self.header + "\nllama-3.1-8b,h100-sxm,1,bf16,4,512,128,40.5,7.25,vllm\nllama-3.1-8b,h100-sxm,1,bf16,four,512,128,40.5,7.25,vllm\n"
        let error = #expect(throws: SluiceError.self) { try MeasuredDataReader.concurrencyRuns(parsing: bad, file: "m.csv") }
        #expect(error?.description.contains("m.csv:3") == true)
        #expect(error?.description.contains("concurrency") == true)
        let dtype = Self.header + "\nllama-3.1-8b,h100-sxm,1,int3,4,512,128,40.5,7.25,vllm\n"
        #expect(throws: SluiceError.self) { try MeasuredDataReader.concurrencyRuns(parsing: dtype, file: "m.csv") }
    }

    @Test func requestsJSONLIsReadAndMalformedLinesAreNamed() throws {
        let text = """
            {"arrival_s": 0, "input_tokens": 100, "output_tokens": 10, "ttft_s": 0.05, "tpot_s": 0.01, "e2e_s": 0.14}
            {"arrival_s": 0.5, "input_tokens": 200, "output_tokens": 20, "ttft_s": 0.06, "tpot_s": 0.01, "e2e_s": 0.25, "prefix_hash_ids": [1, 2]}
            """
        let replay = try MeasuredDataReader.requestsJSONL(parsing: text, file: "r.jsonl")
        #expect(replay.requests.count == 2)
        #expect(replay.requests[1].prefixHashes == [1, 2])
        let bad = text + "\n{\"arrival_s\": 1, \"input_tokens\": \"many\", \"output_tokens\": 1, \"ttft_s\": 0.1, \"tpot_s\": 0, \"e2e_s\": 0.1}"
        let error = #expect(throws: SluiceError.self) { try MeasuredDataReader.requestsJSONL(parsing: bad, file: "r.jsonl") }
        #expect(error?.description.contains("r.jsonl:3") == true)
        #expect(error?.description.contains("input_tokens") == true)
        #expect(throws: SluiceError.self) { try MeasuredDataReader.requestsJSONL(parsing: "{not json", file: "r.jsonl") }
    }

    @Test func vllmBenchJSONIsReadWithItsLoad() throws {
        let text = """
            {"max_concurrency": 2, "request_rate": "inf", "input_lens": [100, 200, 300], "output_lens": [3, 2, 0],
             "ttfts": [0.05, 0.07, 0], "itls": [[0.01, 0.02], [0.03], []], "errors": ["", "", "timeout"]}
            """
        let replay = try MeasuredDataReader.vllmBench(parsing: text, file: "b.json")
        #expect(replay.load == .closedLoop(2))
        #expect(replay.requests.count == 2)
        #expect(abs(replay.requests[0].tpotSeconds - 0.015) < 1e-12)
        #expect(abs(replay.requests[0].e2eSeconds - 0.08) < 1e-12)
        let mismatched = "{\"input_lens\": [1], \"output_lens\": [1, 2], \"ttfts\": [0.1], \"itls\": [[]]}"
        #expect(throws: SluiceError.self) { try MeasuredDataReader.vllmBench(parsing: mismatched, file: "b.json") }
    }

    @Test func errorStatisticsAreFractions() {
        let e = ValidationErrors([(1, 1.1), (2, 1.8), (4, 4.4), (10, 10)])
        #expect(abs(e.medianAPE - 0.1) < 1e-12)
        #expect(abs(e.meanAPE - 0.075) < 1e-12)
        #expect(abs(e.medianSignedError - 0.05) < 1e-12)
    }

    @Test func validatingASimulatorAgainstItselfGivesNoError() throws {
        // "Measurements" made by the simulator with the same model are reproduced exactly.
        let catalog = try CatalogLoader.bundled()
        let d = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: "h100-sxm"))
        let spec = ReplicaSpec(deployment: d, scheduler: "vllm")
        let validator = Validator(requestsPerClient: 3, minimumRequests: 12)
        var run = MeasuredConcurrencyRun(
            label: "x:2", model: "llama-3.1-8b", gpu: "h100-sxm", tensorParallel: 1, dtype: "bf16", engine: nil, concurrency: 4,
            inputTokens: 300, outputTokens: 40, ttftSeconds: 1, tpotSeconds: 1)
        let first = try validator.validate([run]) { _ throws(SluiceError) in (spec, "roofline") }
        run.ttftSeconds = first.pairs[0].simulatedTTFT
        run.tpotSeconds = first.pairs[0].simulatedTPOT
        let again = try validator.validate([run]) { _ throws(SluiceError) in (spec, "roofline") }
        #expect(again.ttft.medianAPE < 1e-12 && again.tpot.medianAPE < 1e-12)
        #expect(again.groups.count == 1 && again.rows == 1)
    }

    @Test func gpuWideCalibrationRecoversKnownParametersAndReportsHeldOutError() throws {
        let catalog = try CatalogLoader.bundled()
        let gpu = try catalog.gpu(named: "h100-sxm")
        var truth = RooflineParameters()
        truth.computeEfficiency = 0.7
        truth.weightStreamEfficiency = 0.85
        var configurations: [MultiConfigurationCalibrator.Configuration] = []
        for (name, tp) in [("llama-3.1-8b", 1), ("qwen3-32b", 1), ("llama-3.1-70b", 4)] {
            let d = Deployment(model: try catalog.model(named: name), gpu: gpu, tensorParallel: tp)
            let model = RooflineStepTimeModel(deployment: d, parameters: truth)
            var points: [CalibrationPoint] = []
            for b in [1, 8, 64] {
                var s = BatchShape()
                for _ in 0..<b { s.addDecode(contextTokens: 1000) }
                points.append(CalibrationPoint(shape: s, measuredSeconds: model.stepSeconds(s)))
            }
            for p in [256, 2048, 8192] {
                var s = BatchShape()
                s.addPrefill(newTokens: p, contextTokens: 0)
                points.append(CalibrationPoint(shape: s, measuredSeconds: model.stepSeconds(s)))
            }
            configurations.append(.init(name: "\(name)-tp\(tp)", deployment: d, points: points))
        }
        let calibrator = try MultiConfigurationCalibrator(
            configurations: configurations, fitting: ["computeEfficiency", "weightStreamEfficiency"])
        let fit = try calibrator.fit()
        #expect(abs(fit.parameters.computeEfficiency - 0.7) < 0.01)
        #expect(abs(fit.parameters.weightStreamEfficiency - 0.85) < 0.01)
        let held = try #require(fit.heldOut)
        #expect(held.configurations == 3)
        #expect(held.stepMedianAPE < 0.01)
        #expect(fit.heldOutByConfiguration.count == 3)
    }

    @Test func calibrationFileRoundTripKeepsProvenanceAndHeldOutError() throws {
        var file = CalibrationFile(
            model: "any", gpu: "h100-sxm", tensorParallel: 1, parameters: RooflineParameters(), fittedParameters: ["computeEfficiency"],
            statistics: .init(points: 3, medianAPEPercent: 1, maxAPEPercent: 2), sourceData: "d", description: "test")
        file.engine = "vllm"
        file.dtype = "fp8"
        file.sources = ["somewhere, Apache-2.0"]
        file.heldOut = .init(configurations: 2, stepMedianAPE: 0.05, stepP90APE: 0.1, decodeMedianAPE: 0.04, prefillMedianAPE: 0.06)
        let path = try SharedData.temporaryFile("cal.json", "")
        try file.write(to: path)
        let back = try CalibrationFile(contentsOf: path)
        #expect(back == file)
        // The store finds a GPU-wide file for any model on its GPU, preferring the matching precision.
        let catalog = try CatalogLoader.bundled()
        let d = Deployment(model: try catalog.model(named: "qwen3-32b").withPrecision(weights: "fp8", kv: "bf16"), gpu: try catalog.gpu(named: "h100-sxm"))
        var bf16 = file
        bf16.dtype = "bf16"
        let store = CalibrationStore(files: [bf16, file])
        let match = try #require(store.bestMatch(for: d, dtype: "fp8"))
        #expect(match.file.dtype == "fp8")
        #expect(match.match.description.contains("GPU-wide"))
        #expect(CalibrationStore(files: [file]).bestMatch(for: Deployment(model: d.model, gpu: try catalog.gpu(named: "a10g"))) == nil)
    }
}

/// The decode-attention occupancy term and fits of shared engine overheads over per-GPU bases (issue 14).
struct EngineOverheadFitTests {
    @Test func fewDecodeWorkItemsReadTheKVCacheSlower() throws {
        let catalog = try CatalogLoader.bundled()
        let d = Deployment(model: try catalog.model(named: "llama-3.1-70b"), gpu: try catalog.gpu(named: "h100-sxm"), tensorParallel: 8)
        let plain = RooflineStepTimeModel(deployment: d)
        var limited = RooflineParameters()
        limited.decodeAttentionSaturationItems = 32
        let occupancy = RooflineStepTimeModel(deployment: d, parameters: limited)
        func decodes(_ n: Int, context: Int) -> BatchShape {
            var s = BatchShape()
            for _ in 0..<n { s.addDecode(contextTokens: context) }
            return s
        }
        // One KV head per GPU at TP 8: a batch of 1 is 1 work item of 32, so its KV reads take 32 times as long.
        let extraShort = occupancy.stepSeconds(decodes(1, context: 100)) - plain.stepSeconds(decodes(1, context: 100))
        let extraLong = occupancy.stepSeconds(decodes(1, context: 8000)) - plain.stepSeconds(decodes(1, context: 8000))
        #expect(extraLong > 10 * extraShort && extraLong > 0)
        // From 32 sequences on the GPU is saturated: no change.
        #expect(abs(occupancy.stepSeconds(decodes(64, context: 2000)) - plain.stepSeconds(decodes(64, context: 2000))) < 1e-12)
        // Prefill-only steps are untouched.
        var prefill = BatchShape()
        prefill.addPrefill(newTokens: 1000, contextTokens: 0)
        #expect(occupancy.stepSeconds(prefill) == plain.stepSeconds(prefill))
    }

    @Test func parametersWrittenBeforeTheOccupancyTermStillRead() throws {
        let old = """
            {"computeEfficiency": 0.8, "weightStreamEfficiency": 0.75, "attentionEfficiency": 0.6, "kvBandwidthEfficiency": 0.9,
             "linkEfficiency": 0.7, "allReduceLatencySeconds": 2.5e-05, "stepOverheadSeconds": 0.00015,
             "perSequenceOverheadSeconds": 5e-06, "perLayerOverheadSeconds": 0, "gemmOverlapLoss": 0}
            """
        let p = try JSONDecoder().decode(RooflineParameters.self, from: Data(old.utf8))
        #expect(p == RooflineParameters())
    }

    @Test func sharedOverheadIsRecoveredOverConfigurationsWithTheirOwnBases() throws {
        let catalog = try CatalogLoader.bundled()
        var configurations: [MultiConfigurationCalibrator.Configuration] = []
        for (gpu, efficiency) in [("h100-sxm", 0.9), ("a100-80g", 0.6), ("h200-sxm", 0.8)] {
            var base = RooflineParameters()
            base.weightStreamEfficiency = efficiency
            var truth = base
            truth.stepOverheadSeconds = 0.0025
            let d = Deployment(model: try catalog.model(named: "llama-3.1-8b"), gpu: try catalog.gpu(named: gpu))
            let model = RooflineStepTimeModel(deployment: d, parameters: truth)
            var points: [CalibrationPoint] = []
            for context in [200, 2000, 7000] {
                var s = BatchShape()
                s.addDecode(contextTokens: context)
                points.append(CalibrationPoint(shape: s, measuredSeconds: model.stepSeconds(s)))
            }
            configurations.append(.init(name: gpu, deployment: d, points: points, base: base))
        }
        let calibrator = try MultiConfigurationCalibrator(configurations: configurations, fitting: ["stepOverheadSeconds"])
        let values = try calibrator.fittedValues(fittingOn: configurations)
        #expect(abs(values[0] - 0.0025) < 1e-5)
        #expect(try #require(calibrator.fit().heldOut).stepMedianAPE < 1e-3)
    }
}
