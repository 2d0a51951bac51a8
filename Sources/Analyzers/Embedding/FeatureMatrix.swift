import Foundation
import LoupeCore

/// The per-sample feature vectors an embedding analyzer works on, with rows holding NaN or ±∞
/// dropped (and remembered) so the numerics never see them.
public struct FeatureMatrix {
    /// Finite rows only.
    public var matrix: Matrix
    /// For each kept row, its row in the file.
    public var kept: [Int]
    /// Rows of the file that were dropped for non-finite values.
    public var dropped: [Int]
    /// Where the features came from, e.g. `/embedding` or `mean-pooled /activations/layer4`.
    public var source: String
    public var fileRows: Int

    /// Reads the features `spec` names: `embedding` (`/embedding`), `logits`, or a layer name
    /// (`layer4` or `activations/layer4`, global-average-pooled over H×W to N×C).
    public static func read(_ dump: DumpFile, spec: String, normalize: String = "none") throws -> FeatureMatrix {
        let path = try FeatureMatrix.path(spec)
        guard let shape = dump.shape(path) else {
            throw HDF5Error(.missingObject, file: dump.path, object: path, message: "no dataset '\(path)'")
        }
        var m: Matrix
        var source = path
        switch shape.count {
        case 2: m = try dump.matrix(path)
        case 4:
            let t = try dump.tensor4(path)
            m = pooled(t)
            source = "mean-pooled " + path
        case 1: m = Matrix(rows: shape[0], columns: 1, values: try dump.floats(path))
        default:
            throw LoupeError.invalidInput("\(dump.path):\(path) has shape \(Shape.text(shape)); features must be N×D or N×C×H×W")
        }
        var kept: [Int] = [], dropped: [Int] = []
        for r in 0..<m.rows { if m.row(r).allSatisfy(\.isFinite) { kept.append(r) } else { dropped.append(r) } }
        let fileRows = m.rows
        if !dropped.isEmpty { m = m.selecting(rows: kept) }
        switch normalize.lowercased() {
        case "none", "": break
        case "l2":
            for r in 0..<m.rows {
                let norm = (m.row(r).reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                if norm > 0 { for c in 0..<m.columns { m.values[r * m.columns + c] /= norm } }
            }
            source += ", L2-normalised"
        case "standardize":
            for c in 0..<m.columns {
                var mean = 0.0, sq = 0.0
                for r in 0..<m.rows { let v = Double(m.values[r * m.columns + c]); mean += v; sq += v * v }
                mean /= Double(max(m.rows, 1))
                let sd = (max(sq / Double(max(m.rows, 1)) - mean * mean, 0)).squareRoot()
                for r in 0..<m.rows { m.values[r * m.columns + c] = Float((Double(m.values[r * m.columns + c]) - mean) / (sd > 0 ? sd : 1)) }
            }
            source += ", standardised"
        default:
            throw LoupeError.invalidInput("normalize=\(normalize): expected none, l2 or standardize")
        }
        return FeatureMatrix(matrix: m, kept: kept, dropped: dropped, source: source, fileRows: fileRows)
    }

    /// The dataset path a features spec names.
    public static func path(_ spec: String) throws -> String {
        let s = spec.trimmingCharacters(in: .whitespaces)
        switch s.lowercased() {
        case "embedding", "/embedding", "": return RunFormat.Dump.embedding
        case "logits", "/logits": return RunFormat.Dump.logits
        default:
            if s.hasPrefix("/") { return s }
            if s.hasPrefix("activations/") { return "/" + s }
            return RunFormat.Dump.activation(s)
        }
    }

    /// N×C×H×W → N×C by averaging over H×W.
    static func pooled(_ t: Tensor) -> Matrix {
        let n = t.shape[0], c = t.shape[1], hw = t.shape[2] * t.shape[3]
        var out = [Float](repeating: 0, count: n * c)
        t.withUnsafeBufferPointer { p in
            for i in 0..<(n * c) {
                var s = 0.0
                for q in 0..<hw { s += Double(p[i * hw + q]) }
                out[i] = Float(s / Double(max(hw, 1)))
            }
        }
        return Matrix(rows: n, columns: c, values: out)
    }

    /// A note for the console and the report when rows were dropped: how many, and which samples
    /// (their `/probe/ids` where the file has them, else their rows).
    public func droppedNote(ids: [String], file: String) -> String? {
        guard !dropped.isEmpty else { return nil }
        let names = dropped.prefix(8).map { $0 < ids.count ? ids[$0] : "row \($0)" }.joined(separator: ", ")
        return "\(file): \(dropped.count) of \(fileRows) samples have NaN or ±∞ in \(source) and were left out: \(names)\(dropped.count > 8 ? ", …" : "")"
    }

    /// `values` (one per kept row) spread back to file rows, NaN where a row was dropped.
    public func expanded(_ values: [Float], width: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: fileRows * width)
        for (k, r) in kept.enumerated() { for c in 0..<width { out[r * width + c] = values[k * width + c] } }
        return out
    }
}
