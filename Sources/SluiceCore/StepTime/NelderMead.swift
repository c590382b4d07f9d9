/// Derivative-free minimiser: the Nelder–Mead downhill simplex (Nelder & Mead, "A simplex method for function
/// minimization", Computer Journal 7(4), 1965) with the dimension-adaptive coefficients of Gao & Han
/// ("Implementing the Nelder-Mead simplex algorithm with adaptive parameters", Comput. Optim. Appl. 51, 2012),
/// as in SciPy's `minimize(method="Nelder-Mead", adaptive=True)`.
///
/// Deterministic: no random numbers; ties keep the earlier vertex. Used by ``RooflineCalibrator`` over
/// unconstrained (transformed) parameters.
struct NelderMead {
    /// Stop after this many objective evaluations.
    var maxEvaluations: Int
    /// Stop when the spread of objective values over the simplex is below this.
    var functionTolerance: Double
    /// Stop when every vertex is within this distance (per coordinate) of the best one.
    var pointTolerance: Double

    /// The best point found, its value and the evaluations used.
    struct Outcome {
        var point: [Double]
        var value: Double
        var evaluations: Int
    }

    /// Minimises `f` from `start` with an initial simplex of `start` plus `step` along each axis.
    func minimize(_ f: ([Double]) -> Double, start: [Double], step: [Double]) -> Outcome {
        let n = start.count
        func value(_ x: [Double]) -> Double {
            let v = f(x)
            return v.isNaN ? .infinity : v
        }
        guard n > 0 else { return Outcome(point: start, value: value(start), evaluations: 1) }
        let dim = Double(n)
        // Gao–Han coefficients; at n = 1 they degenerate (shrink 0), so use n ≥ 2 (the classic 1, 2, ½, ½).
        let adaptiveDim = max(dim, 2)
        let reflect = 1.0
        let expand = 1 + 2 / adaptiveDim
        let contract = 0.75 - 1 / (2 * adaptiveDim)
        let shrink = 1 - 1 / adaptiveDim

        var simplex = [start]
        for i in 0..<n {
            var vertex = start
            vertex[i] += step[i]
            simplex.append(vertex)
        }
        var values = simplex.map(value)
        var evaluations = simplex.count

        func combine(_ a: [Double], _ b: [Double], _ t: Double) -> [Double] {
            // a + t·(b − a)
            var out = a
            for i in 0..<n { out[i] = a[i] + t * (b[i] - a[i]) }
            return out
        }

        while evaluations < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let best = simplex[0]
            let spread = values[n] - values[0]
            var size = 0.0
            for vertex in simplex.dropFirst() {
                for i in 0..<n { size = max(size, abs(vertex[i] - best[i])) }
            }
            if spread.isFinite, spread <= functionTolerance, size <= pointTolerance { break }

            var centroid = [Double](repeating: 0, count: n)
            for vertex in simplex.dropLast() {
                for i in 0..<n { centroid[i] += vertex[i] / dim }
            }
            let worst = simplex[n]
            let reflected = combine(centroid, worst, -reflect)
            let fr = value(reflected)
            evaluations += 1
            if fr < values[0] {
                let expanded = combine(centroid, worst, -reflect * expand)
                let fe = value(expanded)
                evaluations += 1
                if fe < fr {
                    (simplex[n], values[n]) = (expanded, fe)
                } else {
                    (simplex[n], values[n]) = (reflected, fr)
                }
                continue
            }
            if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr)
                continue
            }
            // Contraction: outside when the reflection beat the worst vertex, inside otherwise.
            let outside = fr < values[n]
            let contracted = outside ? combine(centroid, reflected, contract) : combine(centroid, worst, contract)
            let fc = value(contracted)
            evaluations += 1
            if fc < (outside ? fr : values[n]) {
                (simplex[n], values[n]) = (contracted, fc)
                continue
            }
            for j in 1...n {
                simplex[j] = combine(best, simplex[j], shrink)
                values[j] = value(simplex[j])
            }
            evaluations += n
        }
        let bestIndex = values.indices.min { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) } ?? 0
        return Outcome(point: simplex[bestIndex], value: values[bestIndex], evaluations: evaluations)
    }
}
