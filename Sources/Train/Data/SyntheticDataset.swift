import LoupeCore

/// Options of the built-in synthetic dataset (`--data synthetic:…`).
public struct SyntheticOptions: Sendable, Equatable {
    /// Number of classes taken from the start of the split's list; nil = the split's default
    /// (target 8, source 12, all 20).
    public var classes: Int?
    /// Images per class.
    public var perClass: Int
    /// Image side in pixels.
    public var size: Int
    /// Seed of the image content (independent of the training seed, so runs share their data).
    public var seed: UInt64
    public var split: SyntheticSplit
    /// Object radius as a fraction of the image side, drawn uniformly from this range (the study's
    /// target images use 0.2–0.3; a larger object keeps shapes and textures legible at small sizes).
    public var radius: ClosedRange<Float>

    public init(classes: Int? = nil, perClass: Int = 100, size: Int = 64, seed: UInt64 = 0, split: SyntheticSplit = .target,
                radius: ClosedRange<Float> = SyntheticOptions.defaultRadius) {
        self.classes = classes
        self.perClass = perClass
        self.size = size
        self.seed = seed
        self.split = split
        self.radius = radius
    }

    public static let defaultRadius: ClosedRange<Float> = 0.2...0.3
    /// Radii outside this range either vanish or cannot fit the image (outlines reach 1.1 radii).
    public static let radiusLimits: ClosedRange<Float> = 0.05...0.45

    public static let defaults = SyntheticOptions()
    public static let sizeRange = 16...1024
    public static let perClassRange = 1...1_000_000

    /// Checks every option against its valid range.
    /// - Throws: `LoupeError.invalidInput` naming the first bad option.
    public func validate() throws {
        let available = SyntheticClass.list(split).count
        if let classes, !(2...available).contains(classes) {
            throw LoupeError.invalidInput("synthetic: classes must be in 2…\(available) for split=\(split.rawValue), got \(classes)")
        }
        guard Self.perClassRange.contains(perClass) else {
            throw LoupeError.invalidInput("synthetic: per-class must be in \(Self.perClassRange.lowerBound)…\(Self.perClassRange.upperBound), got \(perClass)")
        }
        guard Self.sizeRange.contains(size) else {
            throw LoupeError.invalidInput("synthetic: size must be in \(Self.sizeRange.lowerBound)…\(Self.sizeRange.upperBound), got \(size)")
        }
        guard Self.radiusLimits.contains(radius.lowerBound), Self.radiusLimits.contains(radius.upperBound) else {
            throw LoupeError.invalidInput("synthetic: radius must lie in \(Self.radiusLimits.lowerBound)…\(Self.radiusLimits.upperBound) of the image side, got \(radius.lowerBound)-\(radius.upperBound)")
        }
    }
}

/// Procedurally generated creatures on random backgrounds (the prototype study's "v2" design).
///
/// A class is a (shape, texture) pair; position, size, rotation, colours, texture phase and the
/// background colour are random per image, and the background is independent of the class. Image
/// `i` has label `i % classes.count` (so every prefix is balanced) and is a pure function of
/// (seed, split, part, i): random access, thread-safe, reproducible.
public struct SyntheticDataset: Dataset {
    public let options: SyntheticOptions
    /// `.test` draws from a separate stream: same classes, different images.
    public let part: DataPart
    public let classList: [SyntheticClass]

    /// - Throws: `LoupeError.invalidInput` when an option is out of range.
    public init(_ options: SyntheticOptions = .defaults, part: DataPart = .train) throws {
        try options.validate()
        self.options = options
        self.part = part
        let list = SyntheticClass.list(options.split)
        classList = Array(list.prefix(options.classes ?? SyntheticClass.defaultCount(options.split)))
    }

    public var name: String { "synthetic" }
    public var classes: [String] { classList.map(\.name) }
    public var count: Int { classList.count * options.perClass }
    public var channels: Int { 3 }

    public var describe: [String: String] {
        [
            "kind": name,
            "spec": DataSpec.synthetic(options).description,
            "generator": "v2",
            "split": options.split.rawValue,
            "part": part.rawValue,
            "classes": String(classList.count),
            "per-class": String(options.perClass),
            "size": String(options.size),
            "seed": String(options.seed),
            "radius": "\(options.radius.lowerBound)-\(options.radius.upperBound)",
        ]
    }

    public func label(at index: Int) -> Int { index % classList.count }

    /// The random choices behind image `index`.
    public func scene(at index: Int) -> SyntheticScene {
        let splitCode: UInt64 = switch options.split { case .target: 1; case .source: 2; case .all: 3; case .wide: 4 }
        let partCode: UInt64 = part == .train ? 0 : 1
        var rng = SeededGenerator(seed: SeedMix.combine(options.seed, splitCode, partCode, UInt64(index)))
        return SyntheticScene(kind: classList[label(at: index)], size: options.size, radius: options.radius, rng: &rng)
    }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let scene = scene(at: index)
        let rendering = SyntheticRenderer.render(scene)
        let image = Image(width: options.size, height: options.size, channels: 3, pixels: rendering.pixels)
        let meta = SampleMeta(meanRGB: SampleMeta.meanRGB(of: image),
                              background: [scene.background.x, scene.background.y, scene.background.z],
                              box: rendering.box, mask: rendering.mask)
        return Sample(image: image, label: label(at: index), id: id(at: index), meta: meta)
    }

    /// "synthetic/target/00017" (train part) or "synthetic/target-test/00017".
    public func id(at index: Int) -> String {
        let digits = String(index)
        let padded = String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return "synthetic/" + options.split.rawValue + (part == .test ? "-test/" : "/") + padded
    }
}
