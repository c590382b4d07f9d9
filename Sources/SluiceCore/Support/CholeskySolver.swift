/// Symmetric positive-definite systems by Cholesky factorisation, row-major `d × d` matrices: the linear bandits'
/// posteriors and the tool planner's ridge regression.
public enum CholeskySolver: Sendable {
    /// Lower-triangular L with L Lᵀ = m (row-major), or `nil` if m is not positive definite.
    public static func factor(_ m: [Double], _ d: Int) -> [Double]? {
        var l = Array(repeating: 0.0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = m[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * d + i] = s.squareRoot()
                } else {
                    l[i * d + j] = s / l[j * d + j]
                }
            }
        }
        return l
    }

    /// Solves (L Lᵀ) y = v.
    public static func solve(_ l: [Double], _ v: [Double], _ d: Int) -> [Double] {
        var y = v
        for i in 0..<d {  // L z = v
            var s = y[i]
            for k in 0..<i { s -= l[i * d + k] * y[k] }
            y[i] = s / l[i * d + i]
        }
        backSubstituteTransposed(l, &y, d)
        return y
    }

    /// Solves Lᵀ y = z in place.
    public static func backSubstituteTransposed(_ l: [Double], _ y: inout [Double], _ d: Int) {
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, d) { s -= l[k * d + i] * y[k] }
            y[i] = s / l[i * d + i]
        }
    }
}
