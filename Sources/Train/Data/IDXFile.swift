import Foundation
import LoupeCore

/// An unsigned-byte array from an IDX file (the MNIST / Fashion-MNIST format: magic 00 00 08 NDIM,
/// NDIM big-endian UInt32 sizes, then the bytes).
public struct IDXFile: Sendable, Equatable {
    public var shape: [Int]
    public var values: [UInt8]

    /// Reads an IDX file, gzip-compressed or not (told apart by the first bytes, not the name).
    /// - Throws: `LoupeError.io` when unreadable, `.format` when not a valid ubyte IDX file.
    public static func read(_ path: String) throws -> IDXFile {
        guard var data = FileManager.default.contents(atPath: path) else {
            throw LoupeError.io(path: path, message: "cannot read file")
        }
        if Gunzip.isGzip(data) { data = try Gunzip.decompress(path: path) }
        return try parse(data, name: path)
    }

    /// Parses IDX bytes; `name` is used in error messages.
    public static func parse(_ data: Data, name: String) throws -> IDXFile {
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw LoupeError.format(path: name, message: "not an IDX file (bad magic number)")
        }
        guard bytes[2] == 0x08 else {
            throw LoupeError.format(path: name, message: "IDX element type 0x\(String(bytes[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, bytes.count >= 4 + 4 * rank else {
            throw LoupeError.format(path: name, message: "IDX header truncated")
        }
        var shape: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let count = try InputLimits.elementCount(shape, path: name, object: "IDX array")
        let start = 4 + 4 * rank
        guard bytes.count - start == count else {
            throw LoupeError.format(path: name, message: "IDX shape \(shape) needs \(count) bytes, file has \(bytes.count - start)")
        }
        return IDXFile(shape: shape, values: Array(bytes[start...]))
    }
}
