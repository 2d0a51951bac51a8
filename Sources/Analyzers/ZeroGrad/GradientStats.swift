// Per-layer gradient and activation statistics for the zero-gradient detector.
//
// Shapes: G gradients N × C × H × W, A activations N × C × H × W (either may be absent, not both).
// Thresholds of IEEE half precision (what float16 storage or compute keeps):
//   smallest subnormal 2⁻²⁴ ≈ 5.96e−8 (anything smaller becomes 0),
//   smallest normal    2⁻¹⁴ ≈ 6.10e−5 (below it precision drops bit by bit).
import Foundation
import LoupeCore

/// Counts over one layer of one dump.
public struct GradientStats: Sendable {
    public static let float16Subnormal = 5.960464477539063e-08
    public static let float16MinNormal = 6.103515625e-05

    public var samples: Int
    public var channels: Int
    /// h·w of the layer (1 after global pooling).
    public var spatial: Int
    /// False when the layer has activations but no gradients.
    public var hasGradients: Bool
    public var entries: Int
    public var zeroEntries: Int
    public var nanEntries: Int
    public var infEntries: Int
    /// Non-zero finite entries below float16's smallest normal (6.1e−5).
    public var underFloat16Normal: Int
    /// Non-zero finite entries below float16's smallest subnormal (6e−8): float16 would make them 0.
    public var underFloat16Subnormal: Int
    /// Per sample: max |g| over finite entries (0 when all zero).
    public var maxAbs: [Double]
    /// Per sample: every entry exactly zero.
    public var allZero: [Bool]
    /// Per sample: at least one NaN or ±∞.
    public var nonFinite: [Bool]

    // Activation side (nil without activations).
    /// Channels whose activation is exactly zero for every probe sample.
    public var deadChannels: [Int]?
    /// Per sample, for Grad-CAM: max of Σ_c mean(G_c)·A_c (nil without both arrays).
    public var camRawMax: [Double]?
    /// Per sample: every activation entry exactly zero (a ReLU output that passes nothing).
    public var activationZero: [Bool]?
    /// Per sample: every activation entry ≤ 0 (a pre-activation whose following ReLU passes nothing).
    public var activationNonPositive: [Bool]?
    /// Per sample: an activation entry is NaN or ±∞.
    public var activationNonFinite: [Bool]?
    /// Some activation entry is negative: the layer is not a ReLU output.
    public var hasNegativeActivation = false

    public var zeroFraction: Double { Double(zeroEntries) / Double(max(entries, 1)) }

    /// - Complexity: O(N·C·H·W).
    public static func measure(gradients g: Tensor?, activations a: Tensor?) -> GradientStats {
        let shape = g?.shape ?? a?.shape ?? [0]
        let n = shape[0], c = shape.count > 1 ? shape[1] : 1
        let total = g?.count ?? a?.count ?? 0
        let per = total / max(n, 1), hw = per / max(c, 1)
        var s = GradientStats(samples: n, channels: c, spatial: hw, hasGradients: g != nil, entries: g?.count ?? 0,
                              zeroEntries: 0, nanEntries: 0, infEntries: 0, underFloat16Normal: 0, underFloat16Subnormal: 0,
                              maxAbs: [Double](repeating: 0, count: n), allZero: [Bool](repeating: g != nil, count: n),
                              nonFinite: [Bool](repeating: false, count: n))
        g?.withUnsafeBufferPointer { G in
            for i in 0..<n {
                var m = 0.0
                for p in (i * per)..<((i + 1) * per) {
                    let v = G[p]
                    if v == 0 { s.zeroEntries += 1; continue }
                    s.allZero[i] = false
                    if v.isNaN { s.nanEntries += 1; s.nonFinite[i] = true; continue }
                    if v.isInfinite { s.infEntries += 1; s.nonFinite[i] = true; continue }
                    let x = Double(abs(v))
                    if x < float16MinNormal { s.underFloat16Normal += 1 }
                    if x < float16Subnormal { s.underFloat16Subnormal += 1 }
                    m = max(m, x)
                }
                s.maxAbs[i] = m
            }
        }
        guard let a, a.count == total else { return s }
        var alive = [Bool](repeating: false, count: c)
        var zero = [Bool](repeating: true, count: n), nonPositive = zero, nonFinite = [Bool](repeating: false, count: n)
        var negative = false
        a.withUnsafeBufferPointer { A in
            for i in 0..<n {
                for ch in 0..<c {
                    let base = (i * c + ch) * hw
                    for p in 0..<hw {
                        let v = A[base + p]
                        if v != 0 { alive[ch] = true; zero[i] = false }
                        if v > 0 { nonPositive[i] = false } else if v < 0 { negative = true }
                        if !v.isFinite { nonFinite[i] = true; nonPositive[i] = false }
                    }
                }
            }
        }
        s.deadChannels = alive.indices.filter { !alive[$0] }
        s.activationZero = zero
        s.activationNonPositive = nonPositive
        s.activationNonFinite = nonFinite
        s.hasNegativeActivation = negative
        guard let g else { return s }
        var camMax = [Double](repeating: 0, count: n)
        a.withUnsafeBufferPointer { A in
            g.withUnsafeBufferPointer { G in
                var raw = [Double](repeating: 0, count: hw)
                for i in 0..<n {
                    for p in 0..<hw { raw[p] = 0 }
                    for ch in 0..<c {
                        let base = (i * c + ch) * hw
                        var sum = 0.0
                        for p in 0..<hw { sum += Double(G[base + p]) }
                        let w = sum / Double(max(hw, 1))
                        if w != 0 { for p in 0..<hw { raw[p] += w * Double(A[base + p]) } }
                    }
                    camMax[i] = raw.max() ?? 0
                }
            }
        }
        s.camRawMax = camMax
        return s
    }
}
