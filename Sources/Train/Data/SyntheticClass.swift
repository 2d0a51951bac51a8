/// Outline of a synthetic "creature".
public enum SyntheticShape: String, Sendable, CaseIterable {
    case ellipse, star, ring, blob, cross, triangle, square, crescent
}

/// Pattern painted inside the outline, in the object's own frame.
public enum SyntheticTexture: String, Sendable, CaseIterable {
    case stripes, spots, checks, fur, rings, zigzag
}

/// Which class list a synthetic dataset draws from.
public enum SyntheticSplit: String, Sendable, CaseIterable {
    /// The 8 study classes, one per shape.
    case target
    /// 12 pretraining classes: every shape with a texture other than its target one.
    case source
    /// Target then source (20 classes); `classes=` up to 48 appends the remaining (shape, texture) pairs.
    case all
    /// Every pair except the 8 target ones (40 classes): the 12 source classes, then the other 28. A
    /// wider pretraining task in which each shape meets 5 textures and each texture 6 or 7 shapes, so a
    /// network must tell shape and texture apart to solve it, never seeing a target combination.
    case wide
}

/// A synthetic class: a (shape, texture) pair, named "shape-texture" (e.g. "star-spots").
public struct SyntheticClass: Sendable, Hashable, CustomStringConvertible {
    public var shape: SyntheticShape
    public var texture: SyntheticTexture

    public init(_ shape: SyntheticShape, _ texture: SyntheticTexture) {
        self.shape = shape
        self.texture = texture
    }

    public var name: String { shape.rawValue + "-" + texture.rawValue }
    public var description: String { name }

    /// The study's 8 target classes, each shape once.
    public static let target: [SyntheticClass] = [
        .init(.ellipse, .stripes), .init(.star, .spots), .init(.ring, .checks), .init(.blob, .fur),
        .init(.cross, .rings), .init(.triangle, .zigzag), .init(.square, .stripes), .init(.crescent, .checks),
    ]

    /// 12 source classes: every shape appears (four of them twice), every texture exactly twice, and no
    /// pair is a target pair, so a network pretrained on them has seen every shape and texture but
    /// never the target combinations.
    public static let source: [SyntheticClass] = [
        .init(.ellipse, .spots), .init(.star, .checks), .init(.ring, .fur), .init(.blob, .rings),
        .init(.cross, .zigzag), .init(.triangle, .stripes), .init(.square, .fur), .init(.crescent, .zigzag),
        .init(.ellipse, .rings), .init(.star, .stripes), .init(.ring, .spots), .init(.triangle, .checks),
    ]

    /// Every (shape, texture) pair: target, source, then the rest in shape-major order.
    public static let all: [SyntheticClass] = {
        let listed = target + source
        let rest = SyntheticShape.allCases.flatMap { s in SyntheticTexture.allCases.map { SyntheticClass(s, $0) } }
            .filter { !listed.contains($0) }
        return listed + rest
    }()

    /// Number of classes a split uses when `classes` is not given.
    public static func defaultCount(_ split: SyntheticSplit) -> Int {
        split == .all ? target.count + source.count : list(split).count
    }

    /// The class list of `split` (for `.all`, every pair; the default count takes the first 20).
    public static func list(_ split: SyntheticSplit) -> [SyntheticClass] {
        switch split {
        case .target: target
        case .source: source
        case .all: all
        case .wide: all.filter { !target.contains($0) }
        }
    }
}
