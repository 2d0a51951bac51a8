import CKernels
import Dispatch

/// Static work splitting over a fixed number of threads.
///
/// Work is cut into `threads` contiguous parts by index, never by whichever thread is free first,
/// so results (including the order of floating-point sums) depend only on the thread count.
enum Parallel {
    /// Runs `body(part)` for `part` in `0..<parts`, concurrently when `parts > 1`: on CKernels' spinning
    /// workers (workers.c), or on Dispatch's when those are busy with another thread's region or this is a
    /// region inside a part.
    @inline(__always)
    static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            body(0)
            return
        }
        let ran = withoutActuallyEscaping(body) { body in
            var body = body
            return withUnsafeMutablePointer(to: &body) { pointer in
                loupe_parallel_run(parts, pointer) { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }
            }
        }
        if ran != 0 { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    }

    /// Runs `body` on contiguous slices of `0..<count`, one per thread (up to `threads`) when there are at least
    /// `minimumWork` elements, else on one slice: for elementwise work over a large flat array, whose result
    /// does not depend on the split.
    @inline(__always)
    static func slices(_ threads: Int, count: Int, minimumWork: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let parts = Parallel.parts(threads, count: count, itemCost: 1, minimumWork: minimumWork)
        run(parts) { t in body(slice(t, of: parts, count: count)) }
    }

    /// The `part`-th of `parts` contiguous, near-equal slices of `0..<count`.
    @inline(__always)
    static func slice(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let lower = part * base + min(part, extra)
        return lower ..< lower + base + (part < extra ? 1 : 0)
    }

    /// How many parts to use for `count` items of roughly `itemCost` floats each: small jobs stay on
    /// one thread, where a dispatch would cost more than it saves.
    @inline(__always)
    static func parts(_ threads: Int, count: Int, itemCost: Int, minimumWork: Int = 16_384) -> Int {
        if threads <= 1 || count <= 1 || count * itemCost < minimumWork { return 1 }
        return min(threads, count)
    }
}

/// A raw pointer that may cross into `concurrentPerform` closures; each part touches its own slice.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inline(__always) subscript(_ i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
    @inline(__always) func advanced(by n: Int) -> UnsafeMutablePointer<T> { base + n }
}
