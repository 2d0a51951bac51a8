import LoupeCore

/// Pointer access and buffer reuse for kernels.
extension Tensor {
    static let empty = Tensor(shape: [0])

    /// Calls `body` with the first element's address (a valid dummy address for an empty tensor).
    @inline(__always)
    func read<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body($0.baseAddress ?? UnsafePointer(Tensor.dummy)) }
    }

    /// Mutable variant of `read`; the tensor is made unique first (copy-on-write).
    @inline(__always)
    mutating func write<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { try body($0.baseAddress ?? Tensor.dummy) }
    }

    /// Makes `self` a tensor of `shape`, reusing the storage when the element count matches.
    @inline(__always)
    mutating func reuse(_ shape: [Int]) {
        if count == shape.reduce(1, *) {
            if self.shape != shape { reshape(shape) }
        } else {
            self = Tensor(shape: shape)
        }
    }

    nonisolated(unsafe) private static let dummy = UnsafeMutablePointer<Float>.allocate(capacity: 1)
}
