package import SluiceCore

/// The fleet's output-length predictor and its accuracy record, shared by the replicas of one run.
///
/// A reference type because every replica predicts and every completion teaches it; the simulation is
/// single-threaded, so there is no concurrent access.
package final class SharedPredictor {
    private var predictor: any OutputLengthPredictor
    package private(set) var accuracy: PredictionAccuracy
    package let isOracle: Bool

    package init(_ predictor: any OutputLengthPredictor, seed: UInt64) {
        self.predictor = predictor
        isOracle = predictor.isOracle
        accuracy = PredictionAccuracy(seed: seed)
    }

    package var name: String { predictor.name }

    package func predict(_ query: PredictionQuery) -> Double { predictor.predictOutputTokens(query) }

    /// Learns from a finished request and scores the prediction made at its arrival.
    package func observe(_ query: PredictionQuery, initialPrediction: Double, actual: Int) {
        accuracy.record(predicted: initialPrediction, actual: actual)
        var q = query
        q.generatedTokens = 0
        predictor.observe(q, actualOutputTokens: actual)
    }
}
