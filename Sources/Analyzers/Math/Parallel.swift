// Chunked parallel loops for the numerical kernels (DispatchQueue.concurrentPerform, at most `threads` workers).
import Foundation

/// Splits loops over contiguous chunks run with `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// Calls `body(chunk, range)` for `chunks` contiguous ranges covering `0..<count`, on at most
    /// `threads` threads that take chunks in turn (dynamic scheduling balances uneven chunks).
    /// Chunks never overlap, so a body may write its own slice of shared output.
    static func chunks(_ count: Int, chunks: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) {
        let c = max(1, min(chunks, count))
        let range = { (i: Int) in (count * i / c)..<(count * (i + 1) / c) }
        let workers = max(1, min(threads, c))
        if workers == 1 {
            for i in 0..<c { body(i, range(i)) }
            return
        }
        let lock = NSLock()
        var next = 0
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let i = next
                next += 1
                lock.unlock()
                if i >= c { break }
                body(i, range(i))
            }
        }
    }
}
