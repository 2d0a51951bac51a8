import LoupeCore

/// Derives independent seeds from a tuple of integers (seed, epoch, index, …), so every random choice
/// can be made from its own generator regardless of which thread or in which order it runs.
public enum SeedMix {
    /// A well-mixed 64-bit value of `parts`; different tuples give unrelated values.
    @inline(__always)
    public static func combine(_ parts: UInt64...) -> UInt64 {
        var h: UInt64 = 0x6A09_E667_F3BC_C908
        for p in parts { h = mix(h ^ mix(p &+ 0x9E37_79B9_7F4A_7C15)) }
        return h
    }

    /// SplitMix64's finaliser.
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// A uniform integer in 0..<n without modulo bias worth caring about (n ≪ 2⁶⁴); stable across
    /// Swift versions, unlike `Int.random(in:using:)`.
    @inline(__always)
    mutating func nextIndex(below n: Int) -> Int {
        Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A uniform Float in [low, high).
    @inline(__always)
    mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextFloat() }
}

/// Fisher–Yates with our own generator so the order is the same on every platform and Swift version.
func seededShuffle<T>(_ values: inout [T], using rng: inout SeededGenerator) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
        let j = rng.nextIndex(below: i + 1)
        if i != j { values.swapAt(i, j) }
    }
}
