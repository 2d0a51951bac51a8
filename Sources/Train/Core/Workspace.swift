/// Per-thread scratch memory (im2col columns, GEMM staging) shared by all layers of one model.
///
/// Layers run one after another, so one set of buffers, grown to the largest request and never
/// shrunk, serves the whole network and no step allocates after the first.
final class Workspace {
    private var slots: [[UnsafeMutablePointer<Float>?]] = []
    private var capacities: [[Int]] = []

    /// A buffer of at least `count` floats for `thread` and `slot`; contents are undefined.
    /// Call before entering a parallel region (growing is not thread-safe).
    func scratch(thread: Int, slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while slots.count <= thread { slots.append([]); capacities.append([]) }
        while slots[thread].count <= slot { slots[thread].append(nil); capacities[thread].append(0) }
        if capacities[thread][slot] < count {
            slots[thread][slot]?.deallocate()
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            HugePages.advise(UnsafeMutableRawPointer(p), bytes: count * MemoryLayout<Float>.stride)
            slots[thread][slot] = p
            capacities[thread][slot] = count
        }
        return slots[thread][slot]!
    }

    /// Total floats held (for memory reports).
    var totalFloats: Int { capacities.joined().reduce(0, +) }

    deinit {
        for row in slots { for p in row { p?.deallocate() } }
    }
}

/// Gradient tensors recycled between backward steps, keyed by element count.
///
/// A tensor handed back with `recycle` is reused by a later `take` of the same size. If someone still
/// holds a copy (a recorded gradient), copy-on-write gives the writer fresh storage, so sharing is
/// always safe and merely costs an allocation.
final class TensorPool {
    private var free: [Int: [Tensor]] = [:]

    /// A tensor of `shape` with undefined contents.
    func take(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        if var t = free[count]?.popLast() {
            t.reshape(shape)
            return t
        }
        return Tensor(shape: shape)
    }

    /// A tensor of `shape` filled with zeros.
    func takeZeroed(_ shape: [Int]) -> Tensor {
        var t = take(shape)
        t.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return t
    }

    func recycle(_ t: Tensor) {
        guard t.count > 0 else { return }
        free[t.count, default: []].append(t)
    }

    func removeAll() { free.removeAll() }
}

import LoupeCore
