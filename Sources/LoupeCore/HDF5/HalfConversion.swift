import CHDF5

/// float32 ↔ IEEE binary16 for float16 datasets: F16C when the processor has it (8 values per
/// instruction), Swift's software conversion otherwise. Both round to nearest even.
enum HalfConversion {
    static let hardware = chdf5_has_f16c() != 0

    /// - Complexity: O(n), memory-bound with F16C.
    static func half(_ values: [Float]) -> [Float16] {
        guard hardware else { return values.map { Float16($0) } }
        return [Float16](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { src in
                out.withMemoryRebound(to: UInt16.self) { dst in chdf5_f32_to_f16(src.baseAddress, dst.baseAddress, values.count) }
            }
            count = values.count
        }
    }

    /// Converts `count` values from `src` into `dst` (IEEE binary16 bit patterns).
    static func half(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        if hardware { return chdf5_f32_to_f16(src, dst, count) }
        for i in 0..<count { dst[i] = Float16(src[i]).bitPattern }
    }

    static func float(_ values: [Float16]) -> [Float] {
        guard hardware else { return values.map { Float($0) } }
        return [Float](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { src in
                src.withMemoryRebound(to: UInt16.self) { s in chdf5_f16_to_f32(s.baseAddress, out.baseAddress, values.count) }
            }
            count = values.count
        }
    }
}
