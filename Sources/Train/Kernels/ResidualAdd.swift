// Residual add: y = a + b (He et al., "Deep Residual Learning for Image Recognition", 2016).
// The ResNet blocks fuse this into BatchNorm2d; this standalone pair is the reference the fused
// kernel is tested against and a building block for other graphs.
//
// Shapes:
//   a, b (any, equal) → y (same)
// forward:  y = a + b
// backward: da = dy, db = dy

import LoupeCore

enum ResidualAdd {
    /// Writes `a + b` into `out` (reusing its storage).
    static func forward(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        precondition(a.shape == b.shape, "residual add: shapes \(a.shape) and \(b.shape) differ")
        out.reuse(a.shape)
        a.read { ap in b.read { bp in out.write { yp in for i in 0..<a.count { yp[i] = ap[i] + bp[i] } } } }
    }

    /// The gradient reaches both inputs unchanged.
    static func backward(_ dy: Tensor) -> (da: Tensor, db: Tensor) { (dy, dy) }

    /// dx += other, in place (joining the two branches' input gradients).
    static func accumulate(_ other: Tensor, into dx: inout Tensor) {
        precondition(other.shape == dx.shape, "residual add: shapes \(other.shape) and \(dx.shape) differ")
        other.read { op in dx.write { dp in for i in 0..<other.count { dp[i] += op[i] } } }
    }
}
