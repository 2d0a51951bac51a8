import Testing
@testable import LoupeCore

@Suite("float32 ↔ float16 conversion")
struct HalfConversionTests {
    @Test("the fast path rounds exactly as Swift's Float16(Float): normals, subnormals, ties, overflow, NaN")
    func matchesSoftware() {
        var rng = SeededGenerator(seed: 4)
        var values: [Float] = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, .infinity, -.infinity, 6e-8, 5.96e-8, 2.98e-8, 3e-8, 1e-9,
                               6.1035156e-05, 6.1e-05, 1.0009766, 1.00048828125, 1.00146484375]
        for _ in 0..<20_000 {
            let exponent = Float(Int(rng.next() % 50) - 30)
            values.append((rng.nextFloat() - 0.5) * Float.pow2(exponent))
        }
        let fast = HalfConversion.half(values)
        #expect(fast.map(\.bitPattern) == values.map { Float16($0).bitPattern })
        #expect(HalfConversion.float(fast) == fast.map { Float($0) })
        #expect(HalfConversion.half([.nan]).first!.isNaN)
    }
}

private extension Float {
    static func pow2(_ e: Float) -> Float { Float(sign: .plus, exponent: Int(e), significand: 1) }
}
