// Checks shared by the numerical analyzers: shapes and non-finite rows of row-major n×d matrices.
import Foundation
import LoupeCore

/// Validation of row-major `[Float]` matrices passed to the numerical core.
enum MatrixInput {
    /// Throws `LoupeError.invalidInput` when `x` is not n×d or has rows with NaN or Inf.
    /// The message says how many rows are bad and which ones come first, so a caller can drop them.
    /// `scanRows: false` checks the shape only (for callers that detect non-finite values on the way).
    static func check(_ x: [Float], n: Int, d: Int, what: String = "input", minRows: Int = 1, scanRows: Bool = true) throws {
        guard n >= minRows else {
            throw LoupeError.invalidInput("\(what): needs at least \(minRows) rows, got \(n)")
        }
        guard d >= 1 else { throw LoupeError.invalidInput("\(what): needs at least 1 column, got \(d)") }
        guard x.count == n * d else {
            throw LoupeError.invalidInput("\(what): expected \(n)×\(d) = \(n * d) values, got \(x.count)")
        }
        guard scanRows else { return }
        let bad = badRows(x, n: n, d: d)
        if !bad.isEmpty {
            let first = bad.prefix(5).map(String.init).joined(separator: ", ")
            throw LoupeError.invalidInput(
                "\(what): \(bad.count) of \(n) rows contain NaN or Inf (first: rows \(first)\(bad.count > 5 ? ", …" : "")); "
                    + "drop or repair them first")
        }
    }

    /// Indices of rows holding a NaN or an infinity.
    /// - Complexity: one pass over x (8 lanes at a time, rows split over two threads).
    static func badRows(_ x: [Float], n: Int, d: Int) -> [Int] {
        guard n > 0, d > 0, x.count >= n * d else { return [] }
        let chunks = min(16, max(1, n / 64))
        var flags = [Bool](repeating: false, count: n)
        x.withUnsafeBufferPointer { p in
            flags.withUnsafeMutableBufferPointer { f in
                let pb = p.baseAddress!, fb = f.baseAddress!
                Parallel.chunks(n, chunks: chunks, threads: 2) { _, rows in
                    for i in rows { fb[i] = !rowIsFinite(pb + i * d, count: d) }
                }
            }
        }
        return flags.indices.filter { flags[$0] }
    }

    /// x·0 is 0 for finite x and NaN for NaN or ±Inf, so one lane-wise sum of x·0 tests a whole row.
    @inline(__always)
    static func rowIsFinite(_ row: UnsafePointer<Float>, count: Int) -> Bool {
        var acc = SIMD8<Float>()
        var j = 0
        let raw = UnsafeRawPointer(row)
        while j + 8 <= count {
            acc += raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) * 0
            j += 8
        }
        var tail: Float = 0
        while j < count { tail += row[j] * 0; j += 1 }
        return (acc.sum() + tail) == 0
    }
}
