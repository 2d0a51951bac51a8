// Reductions over contiguous Float runs with SIMD accumulators.
//
// Swift keeps floating-point additions in source order, so a plain `s += x[i]` loop is one dependent
// add per element (latency-bound, not vectorised). These helpers sum 16 lanes at a time in independent
// accumulators, which also changes the summation order (and so the last bits) versus a serial loop.
//
// Shapes: p (n) contiguous floats; results are scalars.

typealias Vector = SIMD16<Float>

@inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always)
func storeVector(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

enum VectorMath {
    /// y[i] += x[i].
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n { storeVector(loadVector(y + i) + loadVector(x + i), y + i); i += 16 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// Σ p[i].
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector(), i = 0
        while i + 16 <= n { acc += loadVector(p + i); i += 16 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ (p[i] − mean)².
    @inline(__always)
    static func sumSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var acc = Vector(), i = 0
        let m = Vector(repeating: mean)
        while i + 16 <= n { let d = loadVector(p + i) - m; acc += d * d; i += 16 }
        var s = acc.sum()
        while i < n { let d = p[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// (Σ g, Σ g·(x − mean)) with g = dy, or g = dy·[y > 0] when `mask` is given; g is written to
    /// `gOut` when given. The first half of a BatchNorm(+ReLU) backward.
    @inline(__always)
    static func gradientSums(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                             gOut: UnsafeMutablePointer<Float>?, _ n: Int, mean: Float) -> (Float, Float) {
        var a = Vector(), b = Vector(), i = 0
        let m = Vector(repeating: mean), zero = Vector()
        while i + 16 <= n {
            var g = loadVector(dy + i)
            if let mask { g.replace(with: zero, where: loadVector(mask + i) .<= zero) }
            if let gOut { storeVector(g, gOut + i) }
            a += g
            b += g * (loadVector(x + i) - m)
            i += 16
        }
        var sa = a.sum(), sb = b.sum()
        while i < n {
            var g = dy[i]
            if let mask, mask[i] <= 0 { g = 0 }
            gOut?[i] = g
            sa += g
            sb += g * (x[i] - mean)
            i += 1
        }
        return (sa, sb)
    }
}
