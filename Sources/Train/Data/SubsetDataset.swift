import LoupeCore

/// A view of another dataset restricted to some of its classes and at most so many samples per class.
///
/// Classes keep the order they have in `classes`, renumbered from 0, so a 5-class subset of Fashion-MNIST
/// trains a 5-way head. The samples kept per class are a seeded choice, fixed by the seed alone.
public struct SubsetDataset: Dataset {
    public let base: any Dataset
    /// Indices into `base`, ascending.
    public let indices: [Int]
    /// For each kept class, its label in `base`.
    public let baseClasses: [Int]
    private let newLabel: [Int: Int]

    /// - Parameters:
    ///   - classes: labels of `base` to keep (nil = all), in the order the subset numbers them.
    ///   - perClass: at most this many samples of each kept class (nil = all).
    /// - Throws: `LoupeError.invalidInput` for an unknown or repeated class, or `perClass` < 1.
    /// - Complexity: O(base.count) label look-ups.
    public init(_ base: any Dataset, classes: [Int]?, perClass: Int?, seed: UInt64) throws {
        let keep = classes ?? Array(base.classes.indices)
        for c in keep where !base.classes.indices.contains(c) {
            throw LoupeError.invalidInput("\(base.name): no class \(c); it has \(base.classes.count) (0…\(base.classes.count - 1): "
                                          + base.classes.joined(separator: ", ") + ")")
        }
        guard Set(keep).count == keep.count, !keep.isEmpty else {
            throw LoupeError.invalidInput("classes must be distinct and at least one, got \(keep)")
        }
        if let perClass, perClass < 1 { throw LoupeError.invalidInput("per-class must be at least 1, got \(perClass)") }
        self.base = base
        baseClasses = keep
        newLabel = Dictionary(uniqueKeysWithValues: keep.enumerated().map { ($1, $0) })
        var groups = [[Int]](repeating: [], count: base.classes.count)
        for i in 0..<base.count { groups[base.label(at: i)].append(i) }
        var rng = SeededGenerator(seed: SeedMix.combine(seed, 0x5355_4243)) // "SUBC"
        var chosen: [Int] = []
        for c in keep {
            var members = groups[c]
            if let perClass, members.count > perClass {
                seededShuffle(&members, using: &rng)
                members = Array(members.prefix(perClass))
            }
            chosen += members
        }
        indices = chosen.sorted()
    }

    public var name: String { base.name }
    public var classes: [String] { baseClasses.map { base.classes[$0] } }
    public var count: Int { indices.count }
    public var channels: Int { base.channels }
    public var describe: [String: String] {
        var d = base.describe
        d["subset_classes"] = baseClasses.map(String.init).joined(separator: ",")
        d["subset_count"] = String(indices.count)
        return d
    }
    public func label(at index: Int) -> Int { newLabel[base.label(at: indices[index])]! }
    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        var s = try base.sample(at: indices[index])
        s.label = label(at: index)
        return s
    }
}
