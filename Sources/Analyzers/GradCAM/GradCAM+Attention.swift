// Attention on the object: how much of a Grad-CAM map falls on the object.
// - Energy inside: Σ_{p ∈ object} U_p / Σ_p U_p on the upsampled, un-normalised map U (≥ 0), the
//   "energy-based pointing game" of Wang et al., "Score-CAM", CVPRW 2020.
// - Pointing game: whether the map's maximum lies on the object (Zhang et al., "Top-down Neural
//   Attention by Excitation Backprop", ECCV 2016), here without a tolerance margin unless asked.
// Chance level for both is the object's share of the image.
import Foundation

/// Where the object is, per probe sample, at image resolution.
public struct ObjectRegions: Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    /// N × H × W, true on the object.
    public var inside: [Bool]
    /// "mask" or "box".
    public var source: String

    /// From `/probe/meta/mask` (N×H×W, non-zero = object).
    public static func mask(_ values: [Float], count: Int, height: Int, width: Int) -> ObjectRegions {
        ObjectRegions(count: count, height: height, width: width, inside: values.map { $0 != 0 }, source: "mask")
    }

    /// From `/probe/meta/box` (N×4: x0, y0, x1, y1 in pixels, or all in [0, 1] as fractions of the
    /// image). A pixel is inside when its centre is.
    public static func boxes(_ values: [Float], count: Int, height: Int, width: Int) -> ObjectRegions {
        let fractional = values.allSatisfy { $0 >= 0 && $0 <= 1 } && max(height, width) > 1
        var inside = [Bool](repeating: false, count: count * height * width)
        for i in 0..<count {
            var (x0, y0, x1, y1) = (Double(values[4 * i]), Double(values[4 * i + 1]), Double(values[4 * i + 2]), Double(values[4 * i + 3]))
            if fractional { x0 *= Double(width); x1 *= Double(width); y0 *= Double(height); y1 *= Double(height) }
            for y in 0..<height where Double(y) + 0.5 >= y0 && Double(y) + 0.5 <= y1 {
                for x in 0..<width where Double(x) + 0.5 >= x0 && Double(x) + 0.5 <= x1 {
                    inside[(i * height + y) * width + x] = true
                }
            }
        }
        return ObjectRegions(count: count, height: height, width: width, inside: inside, source: "box")
    }

    /// The object's share of image `i` (chance level of both scores).
    public func areaFraction(_ i: Int) -> Double {
        let size = height * width
        return Double(inside[(i * size)..<((i + 1) * size)].filter { $0 }.count) / Double(max(size, 1))
    }

    /// Pixels within `tolerance` pixels (Chebyshev distance) of the object, for a tolerant pointing game.
    func dilated(by tolerance: Int) -> ObjectRegions {
        guard tolerance > 0 else { return self }
        var out = self
        for i in 0..<count {
            for y in 0..<height {
                for x in 0..<width {
                    var hit = false
                    search: for yy in max(0, y - tolerance)...min(height - 1, y + tolerance) {
                        for xx in max(0, x - tolerance)...min(width - 1, x + tolerance) where inside[(i * height + yy) * width + xx] {
                            hit = true
                            break search
                        }
                    }
                    out.inside[(i * height + y) * width + x] = hit
                }
            }
        }
        return out
    }
}

extension GradCAM {
    /// Per-sample attention scores.
    public struct Attention {
        /// Share of map energy on the object; NaN when the map is all zero.
        public var energyInside: [Double]
        /// 1 when the map's maximum is on the object, 0 when not, NaN when the map is all zero.
        public var pointingHit: [Double]
        /// The object's share of the image (chance).
        public var areaFraction: [Double]

        public var meanEnergy: Double { GradCAM.nanMean(energyInside) }
        public var hitRate: Double { GradCAM.nanMean(pointingHit) }
        public var chance: Double { GradCAM.nanMean(areaFraction) }
    }

    /// Scores `maps` against `regions` (same N and image size).
    public static func attention(_ maps: Maps, regions: ObjectRegions, tolerance: Int = 0) -> Attention {
        let size = maps.imageHeight * maps.imageWidth
        let pointing = regions.dilated(by: tolerance)
        var energy = [Double](repeating: .nan, count: maps.count)
        var hit = [Double](repeating: .nan, count: maps.count)
        for i in 0..<maps.count {
            var total = 0.0, inside = 0.0, best = -Double.infinity
            for p in 0..<size {
                let v = maps.upsampled[i * size + p]
                total += v
                if regions.inside[i * size + p] { inside += v }
                best = max(best, v)
            }
            guard total > 0 else { continue }
            // The point is the first pixel within rounding of the maximum: upsampled maps have plateaus of
            // values equal to a few ulps, and which of them is largest depends on the CPU's BLAS kernel
            // (the same map from PyTorch and from Loupe, or from two machines, must point at one pixel).
            let floor = best - 1e-6 * abs(best)
            let bestAt = (0..<size).first { maps.upsampled[i * size + $0] >= floor } ?? 0
            energy[i] = inside / total
            hit[i] = pointing.inside[i * size + bestAt] ? 1 : 0
        }
        return Attention(energyInside: energy, pointingHit: hit, areaFraction: (0..<maps.count).map(regions.areaFraction))
    }

    static func nanMean(_ v: [Double]) -> Double {
        let f = v.filter { !$0.isNaN }
        return f.isEmpty ? .nan : f.reduce(0, +) / Double(f.count)
    }
}
