import Foundation

/// Sizes that come from files other people wrote, checked before anything is allocated.
///
/// The release build removes Swift's overflow checks from the hot kernels, so a shape product read
/// from a malformed file must never be computed with plain `*`: a wrapped count is a wrong-size
/// buffer. Every reader goes through `elementCount`, which refuses negative sizes, overflow, and reads
/// larger than `maxReadBytes`.
public enum InputLimits {
    /// The most one read may allocate: 16 GiB, or `LOUPE_MAX_READ_BYTES` when set (a number of bytes).
    public static let maxReadBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["LOUPE_MAX_READ_BYTES"], let value = Int(text), value > 0 { return value }
        return 16 << 30
    }()

    /// The most one decoded image may take: 1 GiB (a 16k × 16k RGBA image), far above any photograph a
    /// classifier sees, a header declaring more is corrupt or hostile; less when `maxReadBytes` is lower.
    public static let maxImageBytes = min(1 << 30, maxReadBytes)

    /// The byte size of a decoded `width`×`height`×`channels` image, checked against `maxImageBytes`.
    public static func imageBytes(width: Int, height: Int, channels: Int, path: String) throws -> Int {
        let shape = [height, width, channels]
        guard case .success(let bytes) = checkedCount(shape), bytes <= maxImageBytes else {
            throw LoupeError.format(path: path, message: "image header declares \(width)×\(height)×\(channels) pixels, more than the "
                                    + "\(maxImageBytes >> 20) MiB a decoded image may take; the file is corrupt")
        }
        return bytes
    }

    /// What went wrong with a declared size; `describe` turns it into the message a reader throws.
    public enum Problem: Error, Equatable, Sendable {
        case negative(Int)
        case overflow
        case tooLarge(bytes: Int)
    }

    /// The element count of `shape`, checked: no negative dimension, no overflow of the count or of
    /// the byte size (`elementSize` bytes each), and at most `maxReadBytes`.
    public static func checkedCount(_ shape: [Int], elementSize: Int = 1) -> Result<Int, Problem> {
        var count = 1
        for d in shape {
            guard d >= 0 else { return .failure(.negative(d)) }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return .failure(.overflow) }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(elementSize, 1))
        guard !overflow else { return .failure(.overflow) }
        guard bytes <= maxReadBytes else { return .failure(.tooLarge(bytes: bytes)) }
        return .success(count)
    }

    /// `checkedCount`, throwing a `LoupeError.format` that names the file and the object.
    public static func elementCount(_ shape: [Int], elementSize: Int = 1, path: String, object: String) throws -> Int {
        switch checkedCount(shape, elementSize: elementSize) {
        case .success(let count): return count
        case .failure(let problem): throw LoupeError.format(path: path, message: "\(object): " + describe(problem, shape: shape))
        }
    }

    /// The words for a size problem, with what to do when the cap was hit.
    public static func describe(_ problem: Problem, shape: [Int]) -> String {
        let dims = shape.map(String.init).joined(separator: "×")
        switch problem {
        case .negative(let d): return "declares a negative size \(d) (shape \(dims)); the file is corrupt"
        case .overflow: return "declares a shape \(dims) whose size does not fit in 64 bits; the file is corrupt"
        case .tooLarge(let bytes):
            return "declares \(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .binary)) (shape \(dims)), "
                + "more than one read may take (\(ByteCountFormatter.string(fromByteCount: Int64(maxReadBytes), countStyle: .binary))); "
                + "if the file is genuine, raise LOUPE_MAX_READ_BYTES"
        }
    }
}
