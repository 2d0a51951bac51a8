import LoupeCore

/// The random choices behind one synthetic image ("v2" design of the prototype study): where the
/// object is, how big and turned, its colours, texture phase and the background.
public struct SyntheticScene: Sendable, Equatable {
    public var kind: SyntheticClass
    /// Image side in pixels.
    public var size: Int
    /// Uniform background colour, RGB in [0.05, 0.95], drawn independently of the class.
    public var background: SIMD3<Float>
    /// Linear brightness gradient: amplitude (≤ 0.12) and unit direction.
    public var gradientAmplitude: Float
    public var gradientDirection: SIMD2<Float>
    /// Object centre and radius in pixels (by default 0.2–0.3 of the side; outlines stay within `extent` radii),
    /// rotation in radians.
    public var centre: SIMD2<Float>
    public var radius: Float
    public var rotation: Float
    /// Object colour (≥ 0.6 L1 away from the background) and the texture's second colour.
    public var colour: SIMD3<Float>
    public var secondColour: SIMD3<Float>
    /// Texture period in pixels (0.42–0.55 of the radius) and phases in periods.
    public var period: Float
    public var phase: SIMD2<Float>
    /// Blob outline harmonics (cos 2θ, sin 2θ, cos 3θ, sin 3θ coefficients).
    public var blobHarmonics: SIMD4<Float>
    /// Seeds for the fur lattice and the pixel noise.
    public var furSeed: UInt32
    public var noiseSeed: UInt64
    /// Standard deviation of the Gaussian pixel noise.
    public var noiseSigma: Float

    /// Outlines reach at most this many radii from the centre (the triangle; the others stay within 1).
    static let extent: Float = 1.1

    /// Draws a scene for `kind` at `size` pixels, the radius a fraction `radius` of the side; every choice
    /// comes from `rng` in a fixed order (the same for every radius range).
    public init(kind: SyntheticClass, size: Int, radius radiusRange: ClosedRange<Float> = SyntheticOptions.defaultRadius,
                rng: inout SeededGenerator) {
        self.kind = kind
        self.size = size
        let s = Float(size)
        background = SIMD3(rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95))
        gradientAmplitude = rng.uniform(0, 0.12)
        let gradientAngle = rng.uniform(0, 2 * .pi)
        gradientDirection = SIMD2(Float.cosine(gradientAngle), Float.sine(gradientAngle))
        radius = rng.uniform(radiusRange.lowerBound, radiusRange.upperBound) * s
        let margin = SyntheticScene.extent * radius + 1
        centre = SIMD2(rng.uniform(margin, max(margin, s - margin)), rng.uniform(margin, max(margin, s - margin)))
        rotation = rng.uniform(0, 2 * .pi)
        colour = SyntheticScene.objectColour(awayFrom: background, rng: &rng)
        secondColour = SyntheticScene.derivedColour(colour)
        period = rng.uniform(0.42, 0.55) * radius
        phase = SIMD2(rng.nextFloat(), rng.nextFloat())
        let a2 = rng.uniform(0.06, 0.14), p2 = rng.uniform(0, 2 * .pi)
        let a3 = rng.uniform(0.03, 0.08), p3 = rng.uniform(0, 2 * .pi)
        blobHarmonics = SIMD4(a2 * Float.cosine(p2), a2 * Float.sine(p2), a3 * Float.cosine(p3), a3 * Float.sine(p3))
        furSeed = UInt32(truncatingIfNeeded: rng.next())
        noiseSeed = rng.next()
        noiseSigma = 0.03
    }

    /// A uniform colour at least 0.6 away from `background` in L1; after 64 misses (rare, only near
    /// mid-gray backgrounds) the farthest corner of the cube is used.
    static func objectColour(awayFrom background: SIMD3<Float>, rng: inout SeededGenerator) -> SIMD3<Float> {
        for _ in 0..<64 {
            let c = SIMD3(rng.nextFloat(), rng.nextFloat(), rng.nextFloat())
            let distance = Swift.abs(c.x - background.x) + Swift.abs(c.y - background.y) + Swift.abs(c.z - background.z)
            if distance >= 0.6 { return c }
        }
        return SIMD3(background.x < 0.5 ? 1 : 0, background.y < 0.5 ? 1 : 0, background.z < 0.5 ? 1 : 0)
    }

    /// The texture's second colour: much darker for a light object, much lighter for a dark one.
    static func derivedColour(_ c: SIMD3<Float>) -> SIMD3<Float> {
        let luma = 0.299 * c.x + 0.587 * c.y + 0.114 * c.z
        return luma > 0.45 ? c * 0.25 : c + (SIMD3(repeating: 1) - c) * 0.7
    }
}

extension Float {
    @inline(__always) static func cosine(_ x: Float) -> Float { Float(_cosD(Double(x))) }
    @inline(__always) static func sine(_ x: Float) -> Float { Float(_sinD(Double(x))) }
}

import Foundation
@inline(__always) private func _cosD(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) private func _sinD(_ x: Double) -> Double { Foundation.sin(x) }
