/// A dense Float64 matrix for certification (load time only; never inside a tick).
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Row-major entries.
    public var entries: [Double]

    public init(rows: Int, columns: Int, entries: [Double]) {
        precondition(entries.count == rows * columns, "entries do not match \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.entries = entries
    }

    public init(_ layer: DenseLayer) {
        self.init(rows: layer.outputs, columns: layer.inputs, entries: layer.weights)
    }

    public subscript(row: Int, column: Int) -> Double {
        get { entries[row * columns + column] }
        set { entries[row * columns + column] = newValue }
    }

    /// self · other.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(columns == other.rows, "cannot multiply \(rows)×\(columns) by \(other.rows)×\(other.columns)")
        var result = [Double](repeating: 0, count: rows * other.columns)
        let n = other.columns
        entries.withUnsafeBufferPointer { a in
            other.entries.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    for i in 0..<rows {
                        for k in 0..<columns {
                            let aik = a[i * columns + k]
                            if aik == 0 { continue }
                            let bRow = k * n, cRow = i * n
                            for j in 0..<n { c[cRow + j] += aik * b[bRow + j] }
                        }
                    }
                }
            }
        }
        return Matrix(rows: rows, columns: other.columns, entries: result)
    }

    /// diag(scale) · self: scales row i by scale[i].
    public func scalingRows(_ scale: [Double]) -> Matrix {
        precondition(scale.count == rows)
        var copy = self
        for i in 0..<rows {
            for j in 0..<columns { copy.entries[i * columns + j] *= scale[i] }
        }
        return copy
    }

    /// self · diag(scale): scales column j by scale[j].
    public func scalingColumns(_ scale: [Double]) -> Matrix {
        precondition(scale.count == columns)
        var copy = self
        for i in 0..<rows {
            for j in 0..<columns { copy.entries[i * columns + j] *= scale[j] }
        }
        return copy
    }

    /// ‖self‖₂, the largest singular value, as a sound upper estimate.
    ///
    /// λ_max of the smaller Gram matrix (A Aᵀ or AᵀA) is found by Householder tridiagonalisation and
    /// Sturm-sequence bisection, which brackets the eigenvalue instead of approaching it from below
    /// as power iteration does. The result is inflated by a rounding allowance (a few n·ε relative)
    /// so floating-point error cannot make a certified bound too small.
    public var spectralNorm: Double {
        if rows == 0 || columns == 0 { return 0 }
        let gram = gramOfSmallerSide()
        let n = rows <= columns ? rows : columns
        let lambda = Matrix.largestEigenvalue(symmetric: gram, size: n)
        let allowance = 1 + 8 * Double(max(rows, columns) + 2) * Double.ulpOfOne
        return max(lambda, 0).squareRoot() * allowance
    }

    private func gramOfSmallerSide() -> [Double] {
        let wide = rows <= columns
        let n = wide ? rows : columns, inner = wide ? columns : rows
        var gram = [Double](repeating: 0, count: n * n)
        entries.withUnsafeBufferPointer { a in
            gram.withUnsafeMutableBufferPointer { g in
                if wide {
                    // A Aᵀ: dot products of rows.
                    for i in 0..<n {
                        for j in i..<n {
                            var sum = 0.0
                            for k in 0..<inner { sum += a[i * columns + k] * a[j * columns + k] }
                            g[i * n + j] = sum
                            g[j * n + i] = sum
                        }
                    }
                } else {
                    // AᵀA, accumulated row by row of A so the inner loop runs over contiguous memory.
                    for k in 0..<inner {
                        let row = k * columns
                        for i in 0..<n {
                            let aki = a[row + i]
                            if aki == 0 { continue }
                            for j in i..<n { g[i * n + j] += aki * a[row + j] }
                        }
                    }
                    for i in 0..<n {
                        for j in 0..<i { g[i * n + j] = g[j * n + i] }
                    }
                }
            }
        }
        return gram
    }

    /// Largest eigenvalue of a symmetric n×n matrix (row-major).
    static func largestEigenvalue(symmetric input: [Double], size n: Int) -> Double {
        if n == 1 { return input[0] }
        var a = input
        var diagonal = [Double](repeating: 0, count: n)
        var offDiagonal = [Double](repeating: 0, count: n)  // offDiagonal[i] couples i-1 and i
        a.withUnsafeMutableBufferPointer { a in
            var v = [Double](repeating: 0, count: n)
            var p = [Double](repeating: 0, count: n)
            // Householder reduction to tridiagonal form, eliminating below the subdiagonal column by column.
            for k in 0..<(n - 2) {
                var scale = 0.0
                for i in (k + 1)..<n { scale = max(scale, abs(a[i * n + k])) }
                if scale == 0 {
                    offDiagonal[k + 1] = 0
                    continue
                }
                var sigma = 0.0
                for i in (k + 1)..<n {
                    v[i] = a[i * n + k] / scale
                    sigma += v[i] * v[i]
                }
                let alpha = (v[k + 1] >= 0 ? -1.0 : 1.0) * sigma.squareRoot()
                offDiagonal[k + 1] = alpha * scale
                v[k + 1] -= alpha
                let vNorm2 = sigma - 2 * alpha * (v[k + 1] + alpha) + alpha * alpha
                // vNorm2 = ‖v‖² after the update (v[k+1] changed from x to x - alpha).
                if vNorm2 == 0 { continue }
                let beta = 2 / vNorm2
                // A ← H A H on the trailing block with H = I - beta v vᵀ.
                var vpDot = 0.0
                for i in (k + 1)..<n {
                    var sum = 0.0
                    for j in (k + 1)..<n { sum += a[i * n + j] * v[j] }
                    p[i] = beta * sum
                    vpDot += v[i] * p[i]
                }
                let kFactor = beta * vpDot / 2
                for i in (k + 1)..<n { p[i] -= kFactor * v[i] }
                for i in (k + 1)..<n {
                    for j in (k + 1)..<n { a[i * n + j] -= v[i] * p[j] + p[i] * v[j] }
                }
            }
            for i in 0..<n { diagonal[i] = a[i * n + i] }
            offDiagonal[n - 1] = a[(n - 1) * n + (n - 2)]
        }
        // Gershgorin bounds on the tridiagonal matrix, then bisection on the Sturm count.
        var low = Double.infinity, high = -Double.infinity
        for i in 0..<n {
            let radius = (i > 0 ? abs(offDiagonal[i]) : 0) + (i + 1 < n ? abs(offDiagonal[i + 1]) : 0)
            low = min(low, diagonal[i] - radius)
            high = max(high, diagonal[i] + radius)
        }
        let span = max(abs(low), abs(high), Double.leastNormalMagnitude)
        /// Eigenvalues strictly below x (LDLᵀ pivot signs).
        func countBelow(_ x: Double) -> Int {
            var count = 0
            var q = 1.0
            for i in 0..<n {
                let coupling = i > 0 ? offDiagonal[i] * offDiagonal[i] : 0
                q = diagonal[i] - x - (i > 0 ? coupling / q : 0)
                if q == 0 { q = -Double.ulpOfOne * span }
                if q < 0 { count += 1 }
            }
            return count
        }
        // Invariant: countBelow(low) <= n-1 and countBelow(high) == n, so λ_max is in [low, high].
        high += Double.ulpOfOne * span
        for _ in 0..<200 {
            let middle = 0.5 * (low + high)
            if middle <= low || middle >= high || high - low <= 4 * Double.ulpOfOne * span { break }
            if countBelow(middle) == n { high = middle } else { low = middle }
        }
        return high
    }
}
