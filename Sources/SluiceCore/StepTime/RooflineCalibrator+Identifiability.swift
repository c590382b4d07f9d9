extension RooflineCalibrator {
    /// Fitted parameters the points cannot pin down at `parameters`.
    ///
    /// For each fitted parameter, in the caller's order, the sensitivity of the relative residuals (a
    /// finite-difference Jacobian column, per unit of the parameter's range or overhead scale) is compared with
    /// those of the parameters listed before it that were themselves determined: a parameter is weakly determined
    /// when its column is (nearly) zero, or when the part of it outside their span is below
    /// ``Options-swift.struct/identifiabilityThreshold`` of its length (the sine of the angle to that span). So the
    /// list names the parameters to hold fixed, and earlier parameters win a tie: list the best-known first.
    /// A local, linearised test in the spirit of collinearity diagnostics for nonlinear least squares (Brun,
    /// Reichert & Künsch, Water Resour. Res. 37(4), 2001).
    func weaklyDetermined(
        _ parameters: RooflineParameters, _ fitted: [CalibratedParameter], _ points: [CalibrationPoint]
    ) -> [String] {
        var values = parameters.values
        func residuals(_ all: [Double]) -> [Double] {
            var p = initial
            p.values = all
            let model = RooflineStepTimeModel(deployment: deployment, parameters: p)
            return points.map { ($0.predictedSeconds(by: model) - $0.measuredSeconds) / $0.measuredSeconds }
        }
        var columns: [[Double]] = []
        for p in fitted {
            let unit = p.kind == .overhead ? p.scale : p.bounds.upperBound - p.bounds.lowerBound
            let h = Self.differenceStep * unit
            let x = values[p.index]
            let up = min(x + h, p.bounds.upperBound)
            let down = max(x - h, p.bounds.lowerBound)
            values[p.index] = up
            let rUp = residuals(values)
            values[p.index] = down
            let rDown = residuals(values)
            values[p.index] = x
            let width = (up - down) / unit
            columns.append(width > 0 ? zip(rUp, rDown).map { ($0 - $1) / width } : rUp.map { _ in 0 })
        }
        var weak: [String] = []
        var accepted: [[Double]] = []
        for (p, column) in zip(fitted, columns) {
            let norm = Self.norm(column)
            guard norm >= Self.negligibleSensitivity else {
                weak.append(p.name)
                continue
            }
            let unit = column.map { $0 / norm }
            let sine = Self.norm(Self.residualAfterProjection(unit, onto: accepted))
            if sine < options.identifiabilityThreshold {
                weak.append(p.name)
            } else {
                accepted.append(unit)
            }
        }
        return weak
    }

    /// Finite-difference step, as a share of a parameter's range (efficiencies, fractions) or scale (overheads).
    static let differenceStep = 1e-5

    /// A residual sensitivity below this (relative error per unit of range or scale) means "no effect".
    static let negligibleSensitivity = 1e-9

    /// `v` minus its orthogonal projection onto the span of `basis` (modified Gram–Schmidt; columns that are
    /// already in the span of earlier ones are skipped).
    static func residualAfterProjection(_ v: [Double], onto basis: [[Double]]) -> [Double] {
        var orthonormal: [[Double]] = []
        for column in basis {
            var w = column
            for q in orthonormal {
                let d = dot(w, q)
                for k in w.indices { w[k] -= d * q[k] }
            }
            let n = norm(w)
            if n > degenerateColumn { orthonormal.append(w.map { $0 / n }) }
        }
        var r = v
        for q in orthonormal {
            let d = dot(r, q)
            for k in r.indices { r[k] -= d * q[k] }
        }
        return r
    }

    /// Below this length a Gram–Schmidt column counts as already spanned.
    static let degenerateColumn = 1e-10

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func norm(_ a: [Double]) -> Double {
        dot(a, a).squareRoot()
    }
}
