import LoupeCore

/// Index lists of a train/validation division.
public struct DataSplit: Sendable, Equatable {
    public var train: [Int]
    public var validation: [Int]
}

extension Dataset {
    /// A seeded, stratified train/validation split: each class gives round(n_c × fraction) samples
    /// (at least one when it has two or more and the fraction is positive) to validation.
    /// Both lists are sorted ascending.
    /// - Throws: `LoupeError.invalidInput` when the fraction is outside [0, 1).
    /// - Complexity: O(count) label look-ups.
    public func split(validationFraction: Double, seed: UInt64) throws -> DataSplit {
        guard validationFraction >= 0 && validationFraction < 1 else {
            throw LoupeError.invalidInput("validation fraction must be in [0, 1), got \(validationFraction)")
        }
        var rng = SeededGenerator(seed: SeedMix.combine(seed, 0x5351_4C54)) // "SPLT"
        var train: [Int] = [], validation: [Int] = []
        for var members in indicesByClass(in: Array(0..<count)) {
            seededShuffle(&members, using: &rng)
            var take = Int((Double(members.count) * validationFraction).rounded())
            if validationFraction > 0 && members.count >= 2 { take = max(take, 1) }
            take = min(take, members.count)
            validation += members[..<take]
            train += members[take...]
        }
        return DataSplit(train: train.sorted(), validation: validation.sorted())
    }

    /// `count` indices drawn from `pool` (default: the whole dataset), stratified by class: each class
    /// gets its share by largest remainder (ties go to the lower class), drawn at random. Sorted ascending.
    /// The probe uses this for its fixed probe set.
    /// - Throws: `LoupeError.invalidInput` when `count` is negative or larger than the pool.
    public func stratifiedSubset(count wanted: Int, seed: UInt64, from pool: [Int]? = nil) throws -> [Int] {
        let pool = pool ?? Array(0..<count)
        guard wanted >= 0 && wanted <= pool.count else {
            throw LoupeError.invalidInput("cannot choose \(wanted) samples from \(pool.count)")
        }
        for i in pool where i < 0 || i >= count {
            throw LoupeError.invalidInput("\(name): index \(i) out of range 0..<\(count)")
        }
        var groups = indicesByClass(in: pool)
        let total = Double(pool.count)
        var quota = groups.map { Int((Double($0.count) * Double(wanted) / total).rounded(.down)) }
        var left = wanted - quota.reduce(0, +)
        let byRemainder = groups.indices.sorted {
            let ra = Double(groups[$0].count) * Double(wanted) / total - Double(quota[$0])
            let rb = Double(groups[$1].count) * Double(wanted) / total - Double(quota[$1])
            return ra != rb ? ra > rb : $0 < $1
        }
        while left > 0 {
            for c in byRemainder where left > 0 && quota[c] < groups[c].count {
                quota[c] += 1; left -= 1
            }
        }
        var rng = SeededGenerator(seed: SeedMix.combine(seed, 0x5355_4253)) // "SUBS"
        var chosen: [Int] = []
        for c in groups.indices {
            seededShuffle(&groups[c], using: &rng)
            chosen += groups[c].prefix(quota[c])
        }
        return chosen.sorted()
    }

    /// `pool` grouped by label, each group in pool order; one group per class (possibly empty).
    func indicesByClass(in pool: [Int]) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: classes.count)
        for i in pool { groups[label(at: i)].append(i) }
        return groups
    }
}
