// Rasteriser for synthetic scenes: signed-distance shapes with ~1 px anti-aliasing, textures in the
// object's frame, background gradient and pixel noise, all in one pass.
// Shape distance functions follow Inigo Quilez, "2D distance functions"
// (https://iquilezles.org/articles/distfunctions2d/).
//
// Legend:  S = image side;  pixel (x, y) has centre (x + ½, y + ½);  (u, v) = pixel centre in the
// object frame (rotated, in pixels);  R = object radius in pixels;  shape SDFs take (u, v) / R and
// return distances in radius units (negative inside);  texture functions return a distance in pixels
// to the nearest pattern edge, negative where the second colour is painted.

/// The pixels, mask and box of a rendered scene.
struct SyntheticRendering {
    /// S × S × 3, HWC.
    var pixels: [UInt8]
    /// S × S, 1 where the object covers at least half of the pixel.
    var mask: [UInt8]
    /// Pixel-edge box of the mask, or nil when the mask is empty.
    var box: [Float]?
}

enum SyntheticRenderer {
    /// Renders `scene`.
    /// - Complexity: O(S²); shape and texture are evaluated only in the object's bounding square.
    static func render(_ scene: SyntheticScene) -> SyntheticRendering {
        let n = scene.size
        var pixels = [UInt8](repeating: 0, count: n * n * 3)
        var mask = [UInt8](repeating: 0, count: n * n)
        let s = Float(n)
        let bg = scene.background
        let grad = scene.gradientDirection * (scene.gradientAmplitude / s)
        let gradOffset = -0.5 * scene.gradientAmplitude * (scene.gradientDirection.x + scene.gradientDirection.y)
        let radius = scene.radius, inverseRadius = 1 / scene.radius
        let cosR = Float.cosine(scene.rotation), sinR = Float.sine(scene.rotation)
        let centre = scene.centre
        let reach = SyntheticScene.extent * radius + 2
        let x0 = max(0, Int((centre.x - reach).rounded(.down))), x1 = min(n, Int((centre.x + reach).rounded(.up)))
        let y0 = max(0, Int((centre.y - reach).rounded(.down))), y1 = min(n, Int((centre.y + reach).rounded(.up)))
        let shape = scene.kind.shape, texture = scene.kind.texture
        let harmonics = scene.blobHarmonics
        let pattern = TexturePattern(period: scene.period, phase: scene.phase, furSeed: scene.furSeed)
        let c1 = scene.colour, c2 = scene.secondColour
        // Irwin–Hall(4) of 16-bit uniforms: mean 2, variance 1/3, scaled to σ.
        let noiseScale = scene.noiseSigma / (1.0 / 3.0).squareRoot() / 65536
        var noiseState = scene.noiseSeed
        var boxMin = SIMD2<Int>(n, n), boxMax = SIMD2<Int>(-1, -1)

        pixels.withUnsafeMutableBufferPointer { out in
            mask.withUnsafeMutableBufferPointer { maskOut in
                for y in 0..<n {
                    let py = Float(y) + 0.5
                    let rowInObject = y >= y0 && y < y1
                    for x in 0..<n {
                        let px = Float(x) + 0.5
                        let g = gradOffset + grad.x * px + grad.y * py
                        var rgb = bg + SIMD3(repeating: g)
                        if rowInObject && x >= x0 && x < x1 {
                            let dx = px - centre.x, dy = py - centre.y
                            let u = cosR * dx + sinR * dy, v = -sinR * dx + cosR * dy
                            let d = shapeDistance(shape, u * inverseRadius, v * inverseRadius, harmonics) * radius
                            if d < 0.5 {
                                let cover = min(1, 0.5 - d)
                                let t = min(1, max(0, 0.5 - pattern.distance(texture, u, v)))
                                let object = c1 + (c2 - c1) * t
                                rgb += (object - rgb) * cover
                                if d <= 0 {
                                    maskOut[y * n + x] = 1
                                    boxMin = pointwiseMin(boxMin, SIMD2(x, y))
                                    boxMax = pointwiseMax(boxMax, SIMD2(x, y))
                                }
                            }
                        }
                        let o = (y * n + x) * 3
                        for c in 0..<3 {
                            let r = splitMix(&noiseState)
                            let sum = (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48)
                            let value = rgb[c] + (Float(sum) - 131_070) * noiseScale
                            out[o + c] = UInt8(min(255, max(0, value * 255 + 0.5)))
                        }
                    }
                }
            }
        }
        let box: [Float]? = boxMax.x < 0 ? nil
            : [Float(boxMin.x), Float(boxMin.y), Float(boxMax.x + 1), Float(boxMax.y + 1)]
        return SyntheticRendering(pixels: pixels, mask: mask, box: box)
    }

    @inline(__always)
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: shapes (radius units: every outline fits in a circle of radius SyntheticScene.extent)

    @inline(__always)
    static func shapeDistance(_ shape: SyntheticShape, _ x: Float, _ y: Float, _ h: SIMD4<Float>) -> Float {
        switch shape {
        case .ellipse: ellipse(x, y, a: 1, b: 0.62)
        case .star: star5(x, y, r: 1, inner: 0.55)
        case .ring: abs((x * x + y * y).squareRoot() - 0.72) - 0.28
        case .blob: blob(x, y, h)
        case .cross: min(box(x, y, 0.92, 0.25), box(x, y, 0.25, 0.92)) - 0.08
        case .triangle: triangle(x, y, halfSide: 0.95)  // circumradius 1.1: a triangle fills its circle least
        case .square: box(x, y, 0.62, 0.62) - 0.08
        case .crescent: max((x * x + y * y).squareRoot() - 1, 0.8 - ((x - 0.48) * (x - 0.48) + y * y).squareRoot())
        }
    }

    /// Quilez's cheap ellipse distance (exact on the outline, close near it).
    @inline(__always)
    static func ellipse(_ x: Float, _ y: Float, a: Float, b: Float) -> Float {
        let k0 = ((x / a) * (x / a) + (y / b) * (y / b)).squareRoot()
        let k1 = ((x / (a * a)) * (x / (a * a)) + (y / (b * b)) * (y / (b * b))).squareRoot()
        return k1 < 1e-6 ? -min(a, b) : k0 * (k0 - 1) / k1
    }

    @inline(__always)
    static func box(_ x: Float, _ y: Float, _ bx: Float, _ by: Float) -> Float {
        let qx = abs(x) - bx, qy = abs(y) - by
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
    }

    /// Quilez's five-pointed star (`sdStar5`): outer radius r, inner-radius factor `inner`.
    @inline(__always)
    static func star5(_ x0: Float, _ y0: Float, r: Float, inner: Float) -> Float {
        let k1x: Float = 0.809_016_994, k1y: Float = -0.587_785_252
        var x = abs(x0), y = y0
        let d1 = max(k1x * x + k1y * y, 0)
        x -= 2 * d1 * k1x; y -= 2 * d1 * k1y
        let d2 = max(-k1x * x + k1y * y, 0)
        x -= 2 * d2 * -k1x; y -= 2 * d2 * k1y
        x = abs(x)
        y -= r
        let bax = inner * -k1y, bay = inner * k1x - 1
        let h = min(r, max(0, (x * bax + y * bay) / (bax * bax + bay * bay)))
        let ex = x - bax * h, ey = y - bay * h
        let length = (ex * ex + ey * ey).squareRoot()
        return y * bax - x * bay > 0 ? length : -length
    }

    /// Quilez's equilateral triangle, centroid at the origin, circumradius 2·halfSide/√3.
    @inline(__always)
    static func triangle(_ x0: Float, _ y0: Float, halfSide r: Float) -> Float {
        let k: Float = 1.732_050_808
        var x = abs(x0) - r, y = y0 + r / k
        if x + k * y > 0 { (x, y) = ((x - k * y) / 2, (-k * x - y) / 2) }
        x -= min(0, max(-2 * r, x))
        let length = (x * x + y * y).squareRoot()
        return y > 0 ? -length : length
    }

    /// A lumpy disc: radius 0.78 modulated by 2nd and 3rd angular harmonics (angle from x/ρ, y/ρ, no
    /// trigonometry); scaled so it stays a distance bound.
    @inline(__always)
    static func blob(_ x: Float, _ y: Float, _ h: SIMD4<Float>) -> Float {
        let rho = (x * x + y * y).squareRoot()
        guard rho > 1e-6 else { return -0.6 }
        let c = x / rho, s = y / rho
        let c2 = c * c - s * s, s2 = 2 * c * s
        let c3 = c * c2 - s * s2, s3 = s * c2 + c * s2
        let outline = 0.8 + h.x * c2 + h.y * s2 + h.z * c3 + h.w * s3
        return (rho - outline) * 0.85
    }
}

/// Texture parameters of one scene; `distance` is in pixels, negative where the second colour goes.
struct TexturePattern {
    var period: Float
    var phase: SIMD2<Float>
    var furSeed: UInt32

    @inline(__always)
    func distance(_ texture: SyntheticTexture, _ u: Float, _ v: Float) -> Float {
        let p = period
        switch texture {
        case .stripes:
            return band(u / p + phase.x) * p
        case .checks:
            let du = band(u / p + phase.x), dv = band(v / p + phase.y)
            let edge = min(abs(du), abs(dv)) * p
            return du * dv > 0 ? edge : -edge
        case .spots:
            let fu = fraction(u / p + phase.x) - 0.5, fv = fraction(v / p + phase.y) - 0.5
            return ((fu * fu + fv * fv).squareRoot() - 0.27) * p
        case .rings:
            return band((u * u + v * v).squareRoot() / p + phase.x) * p
        case .zigzag:
            // Chevrons: stripes across v displaced by a triangle wave along u (slope 1, so the true
            // distance is the band distance / √2).
            let wave = abs(fraction(u / p + phase.y) - 0.5) * p
            return band((v + wave) / p + phase.x) * p * 0.707_106_78
        case .fur:
            // Thresholded 3-px block noise: hard edges are the look.
            let i = Int32((u / 3 + phase.x * 8).rounded(.down)), j = Int32((v / 3 + phase.y * 8).rounded(.down))
            return hash(i, j) & 0x8000_0000 != 0 ? -1 : 1
        }
    }

    /// Signed distance (in periods) to the edge of the half-period band centred on 0.5: negative inside.
    @inline(__always)
    func band(_ t: Float) -> Float { abs(fraction(t) - 0.5) - 0.25 }

    @inline(__always)
    func fraction(_ t: Float) -> Float { t - t.rounded(.down) }

    /// lowbias32 (Chris Wellons' integer hash) of a lattice point.
    @inline(__always)
    func hash(_ i: Int32, _ j: Int32) -> UInt32 {
        var h = UInt32(bitPattern: i) &* 0x8DA6_B343 ^ UInt32(bitPattern: j) &* 0xD816_3841 ^ furSeed
        h ^= h >> 16; h &*= 0x7FEB_352D
        h ^= h >> 15; h &*= 0x846C_A68B
        h ^= h >> 16
        return h
    }
}
