import Testing

@testable import SluiceCore

/// The Vidur-style table model on synthetic profiles (SIMULATION.md §2.7, advice 2).
struct ProfileTableStepTimeModelTests {
    static let deployment = CalibrationTests.deployment

    static func prefill(_ tokens: Int) -> BatchShape {
        var b = BatchShape()
        b.addPrefill(newTokens: tokens, contextTokens: 0)
        return b
    }

    @Test func profileAveragesRepeatsAndSorts() throws {
        let p = try LinearOperatorProfile(
            tokenCounts: [8, 1, 8, 4], perLayerSeconds: [3, 1, 5, 2], tensorParallel: 1, source: "test")
        #expect(p.tokenCounts == [1, 4, 8])
        #expect(p.perLayerSeconds == [1, 2, 4])
        #expect(p.maxTokens == 8)
    }

    @Test func isotonicRegressionPoolsViolators() throws {
        let p = try LinearOperatorProfile(
            tokenCounts: [1, 2, 3, 4, 5], perLayerSeconds: [1, 3, 2, 4, 3.5], tensorParallel: 1, source: "test")
        #expect(p.monotonePerLayerSeconds == [1, 2.5, 2.5, 3.75, 3.75])
    }

    @Test func profileRejectsBadSamples() {
        #expect(throws: SluiceError.self) {
            try LinearOperatorProfile(tokenCounts: [1], perLayerSeconds: [1], tensorParallel: 1, source: "t")
        }
        #expect(throws: SluiceError.self) {
            try LinearOperatorProfile(tokenCounts: [0, 2], perLayerSeconds: [1, 2], tensorParallel: 1, source: "t")
        }
        #expect(throws: SluiceError.self) {
            try LinearOperatorProfile(tokenCounts: [1, 2], perLayerSeconds: [1, -2], tensorParallel: 1, source: "t")
        }
        #expect(throws: SluiceError.self) {
            try LinearOperatorProfile(tokenCounts: [1, 2], perLayerSeconds: [1], tensorParallel: 1, source: "t")
        }
    }

    @Test func tableInterpolatesExtrapolatesAndAddsRooflineAttention() throws {
        let ms = 1e-3
        let p = try LinearOperatorProfile(
            tokenCounts: [4, 8, 16, 32], perLayerSeconds: [1 * ms, 2 * ms, 4 * ms, 8 * ms], tensorParallel: 1,
            source: "test")
        let params = RooflineParameters(stepOverheadSeconds: 1e-4)
        let model = try ProfileTableStepTimeModel(profile: p, deployment: Self.deployment, parameters: params)
        let layers = Double(Self.deployment.model.layers)
        #expect(model.linearSeconds(tokens: 0) == 0)
        #expect(abs(model.linearSeconds(tokens: 2) - layers * 1 * ms) < 1e-12)  // below the table: first value
        #expect(abs(model.linearSeconds(tokens: 6) - layers * 1.5 * ms) < 1e-12)
        #expect(abs(model.linearSeconds(tokens: 24) - layers * 6 * ms) < 1e-12)
        // Upper half (16, 32): slope 0.25 ms/token per layer.
        #expect(abs(model.linearSeconds(tokens: 40) - layers * 10 * ms) < 1e-12)
        let b = Self.prefill(24)
        let expected = layers * 6 * ms + model.fallback.attentionSeconds(b) + 1e-4
        #expect(abs(model.stepSeconds(b) - expected) < 1e-12)
        #expect(model.stepSeconds(BatchShape()) == 0)
    }

    @Test func tableRejectsAnotherTensorParallelDegree() throws {
        let p = try LinearOperatorProfile(
            tokenCounts: [1, 2], perLayerSeconds: [1, 2], tensorParallel: 2, source: "t")
        #expect(throws: SluiceError.self) { try ProfileTableStepTimeModel(profile: p, deployment: Self.deployment) }
    }
}
