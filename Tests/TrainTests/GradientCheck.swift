@testable import Train
import LoupeCore

/// Finite-difference gradient checking for the kernels and models.
///
/// The scalar under test is L = Σ y·w for a fixed random projection w (so every output element gets a
/// distinct weight), summed in Double. Errors are norm-wise: ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖).
enum GradientCheck {
    /// A tensor the loss closure reads while the checker perturbs it.
    final class Box {
        var value: Tensor
        init(_ value: Tensor) { self.value = value }
    }

    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<n).map { _ in g.nextGaussian() * scale })
    }

    /// Values spread evenly over ±`scale` (gap 2·scale/n between any two, none closer to 0 than 0.2 of a
    /// gap), in random order: no ties and no value near a ReLU/max kink.
    static func distinct(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        var values = (0..<n).map { (Float($0) - Float(n) / 2 + 0.3) * 2 * scale / Float(n) }
        values.shuffle(using: &g)
        return Tensor(shape: shape, storage: values)
    }

    static func dot(_ y: Tensor, _ w: Tensor) -> Double {
        precondition(y.shape == w.shape, "projection shape \(w.shape) ≠ output \(y.shape)")
        var s = 0.0
        for i in 0..<y.count { s += Double(y.storage[i]) * Double(w.storage[i]) }
        return s
    }

    /// Central differences of `loss` w.r.t. element i, for i in 0..<count, through `get`/`set`.
    static func numeric(count: Int, h: Float, get: (Int) -> Float, set: (Int, Float) -> Void, loss: () -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let original = get(i)
            set(i, original + h)
            let plus = loss()
            set(i, original - h)
            let minus = loss()
            set(i, original)
            // The actual step, after rounding to Float.
            out[i] = (plus - minus) / (Double(original + h) - Double(original - h))
        }
        return out
    }

    static func numeric(_ box: Box, h: Float, loss: () -> Double) -> [Double] {
        numeric(count: box.value.count, h: h, get: { box.value.storage[$0] }, set: { box.value.storage[$0] = $1 }, loss: loss)
    }

    static func numeric(_ p: Parameter, h: Float, loss: () -> Double) -> [Double] {
        numeric(count: p.value.count, h: h, get: { p.value.storage[$0] }, set: { p.value.storage[$0] = $1 }, loss: loss)
    }

    static func relativeError(_ analytic: Tensor, _ numeric: [Double]) -> Double {
        relativeError(analytic.storage.map(Double.init), numeric)
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "\(a.count) analytic vs \(b.count) numeric values")
        var diff = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { diff += (a[i] - b[i]) * (a[i] - b[i]); na += a[i] * a[i]; nb += b[i] * b[i] }
        let scale = max(na.squareRoot(), nb.squareRoot())
        return scale == 0 ? 0 : diff.squareRoot() / scale
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
    }

    static func context(_ mode: ForwardMode = .train, threads: Int = 1) -> RunContext {
        let ctx = RunContext()
        ctx.mode = mode
        ctx.threads = threads
        return ctx
    }
}
