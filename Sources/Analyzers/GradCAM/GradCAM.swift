// Grad-CAM: R. R. Selvaraju, M. Cogswell, A. Das, R. Vedantam, D. Parikh, D. Batra, "Grad-CAM: Visual
// Explanations from Deep Networks via Gradient-based Localization", ICCV 2017.
//
// Shapes:
//   A  activations at the layer      N × C × h × w   (float32 from the dump)
//   G  gradients of the target wrt A N × C × h × w
//   α  channel weights               N × C           α_nc = mean_{ij} G_ncij
//   M  raw map                       N × h × w       M_n = Σ_c α_nc A_nc        (kept: min and max)
//   L  Grad-CAM map                  N × h × w       L_n = ReLU(M_n)
//   U  upsampled map                 N × H × W       bilinear, align_corners = False (as cv2.resize
//                                                     INTER_LINEAR and pytorch-grad-cam do)
//   S  display map                   N × H × W       norm(resize(norm(L))), norm(x) = (x − min x) / (max(x − min x) + ε):
//                                                     pytorch-grad-cam's order, so ε acts on the unit scale
//                                                     whatever the gradients' magnitude
// Sums run in Double so the maps match a float64 reference to ~1e-7 whatever C is.
import Foundation
import LoupeCore

/// Grad-CAM maps from recorded activations and gradients.
public enum GradCAM {
    /// Why a map is empty, if it is.
    public enum Status: Int, Sendable {
        /// A map with positive evidence somewhere.
        case ok = 0
        /// Every gradient entry of the sample is exactly zero: nothing to weight the channels with.
        case zeroGradient = 1
        /// Gradients exist but Σ α A ≤ 0 everywhere: the ReLU clips the whole map to zero.
        case allNegative = 2
    }

    public struct Maps {
        public var count: Int
        public var channels: Int
        public var featureHeight: Int
        public var featureWidth: Int
        public var imageHeight: Int
        public var imageWidth: Int
        /// α, N × C.
        public var weights: [Double]
        /// L = ReLU(Σ α A), N × h × w.
        public var cam: [Double]
        /// min and max of the raw map M (before the ReLU), per sample.
        public var rawMin: [Double]
        public var rawMax: [Double]
        /// U: L upsampled to the image size, raw scale (for energy fractions), N × H × W.
        public var upsampled: [Double]
        /// S: U min-max normalised to [0, 1] for display, N × H × W.
        public var normalized: [Double]
        public var status: [Status]
    }

    /// Computes the maps for every sample.
    /// - Complexity: O(N·C·h·w + N·H·W).
    public static func compute(activations a: Tensor, gradients g: Tensor, imageHeight: Int, imageWidth: Int, epsilon: Double = 1e-7) throws -> Maps {
        guard a.shape.count == 4, a.shape == g.shape else {
            throw LoupeError.invalidInput("Grad-CAM needs activations and gradients of the same N×C×H×W shape, got \(Shape.text(a.shape)) and \(Shape.text(g.shape))")
        }
        let (n, c, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let hw = h * w, bigHW = imageHeight * imageWidth
        var maps = Maps(count: n, channels: c, featureHeight: h, featureWidth: w, imageHeight: imageHeight, imageWidth: imageWidth,
                        weights: [Double](repeating: 0, count: n * c), cam: [Double](repeating: 0, count: n * hw),
                        rawMin: [Double](repeating: 0, count: n), rawMax: [Double](repeating: 0, count: n),
                        upsampled: [Double](repeating: 0, count: n * bigHW), normalized: [Double](repeating: 0, count: n * bigHW),
                        status: [Status](repeating: .ok, count: n))
        a.withUnsafeBufferPointer { A in
            g.withUnsafeBufferPointer { G in
                var raw = [Double](repeating: 0, count: hw)
                for i in 0..<n {
                    var anyGradient = false
                    for p in 0..<hw { raw[p] = 0 }
                    for ch in 0..<c {
                        let base = (i * c + ch) * hw
                        var sum = 0.0
                        for p in 0..<hw {
                            let v = G[base + p]
                            if v != 0 { anyGradient = true }
                            sum += Double(v)
                        }
                        let alpha = sum / Double(max(hw, 1))
                        maps.weights[i * c + ch] = alpha
                        if alpha != 0 { for p in 0..<hw { raw[p] += alpha * Double(A[base + p]) } }
                    }
                    maps.rawMin[i] = raw.min() ?? 0
                    maps.rawMax[i] = raw.max() ?? 0
                    for p in 0..<hw { maps.cam[i * hw + p] = max(raw[p], 0) }
                    if !anyGradient { maps.status[i] = .zeroGradient } else if maps.rawMax[i] <= 0 { maps.status[i] = .allNegative }
                    let low = Array(maps.cam[(i * hw)..<((i + 1) * hw)])
                    let up = upsampleBilinear(low, height: h, width: w, toHeight: imageHeight, toWidth: imageWidth)
                    let display = normalize(upsampleBilinear(normalize(low, epsilon), height: h, width: w, toHeight: imageHeight, toWidth: imageWidth), epsilon)
                    for p in 0..<bigHW {
                        maps.upsampled[i * bigHW + p] = up[p]
                        maps.normalized[i * bigHW + p] = display[p]
                    }
                }
            }
        }
        return maps
    }

    /// (x − min x) / (max(x − min x) + ε).
    public static func normalize(_ x: [Double], _ epsilon: Double) -> [Double] {
        let lo = x.min() ?? 0
        let hi = (x.max() ?? 0) - lo
        return x.map { ($0 - lo) / (hi + epsilon) }
    }

    /// Bilinear resize with half-pixel centres (align_corners = False), edges clamped — the
    /// convention of cv2.resize(INTER_LINEAR) and torch.nn.functional.interpolate(mode="bilinear").
    public static func upsampleBilinear(_ src: [Double], height h: Int, width w: Int, toHeight H: Int, toWidth W: Int) -> [Double] {
        var out = [Double](repeating: 0, count: H * W)
        guard h > 0, w > 0, H > 0, W > 0 else { return out }
        func axis(_ dst: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int, Double) {
            let scale = Double(inSize) / Double(outSize)
            let s = max((Double(dst) + 0.5) * scale - 0.5, 0)
            let i0 = min(Int(s), inSize - 1)
            let i1 = min(i0 + 1, inSize - 1)
            return (i0, i1, s - Double(i0))
        }
        let xs = (0..<W).map { axis($0, w, W) }
        for y in 0..<H {
            let (y0, y1, fy) = axis(y, h, H)
            for x in 0..<W {
                let (x0, x1, fx) = xs[x]
                let top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx
                let bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx
                out[y * W + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }
}
