// Checks shared by the numerical analyzers: shapes and non-finite rows of row-major n×d matrices.
import Foundation
import LoupeCore

/// Validation of row-major `[Float]` matrices passed to the numerical core.
enum MatrixInput {
    /// Throws `LoupeError.invalidInput` when `x` is not n×d or has rows with NaN or Inf.
    /// The message says how many rows are bad and which ones come first, so a caller can drop them.
    static func check(_ x: [Float], n: Int, d: Int, what: String = "input", minRows: Int = 1) throws {
        guard n >= minRows else {
            throw LoupeError.invalidInput("\(what): needs at least \(minRows) rows, got \(n)")
        }
        guard d >= 1 else { throw LoupeError.invalidInput("\(what): needs at least 1 column, got \(d)") }
        guard x.count == n * d else {
            throw LoupeError.invalidInput("\(what): expected \(n)×\(d) = \(n * d) values, got \(x.count)")
        }
        let bad = badRows(x, n: n, d: d)
        if !bad.isEmpty {
            let first = bad.prefix(5).map(String.init).joined(separator: ", ")
            throw LoupeError.invalidInput(
                "\(what): \(bad.count) of \(n) rows contain NaN or Inf (first: rows \(first)\(bad.count > 5 ? ", …" : "")); "
                    + "drop or repair them first")
        }
    }

    /// Indices of rows holding a NaN or an infinity.
    static func badRows(_ x: [Float], n: Int, d: Int) -> [Int] {
        var bad: [Int] = []
        x.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var finite = true
                // x - x is 0 for finite x and NaN for NaN/Inf, so one sum tests the whole row.
                var s: Float = 0
                for j in 0..<d { let v = p[i * d + j]; s += v - v }
                if s != 0 || s.isNaN { finite = false }
                if !finite { bad.append(i) }
            }
        }
        return bad
    }
}
