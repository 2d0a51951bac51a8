// OpenBLAS's thread count is one process-wide setting, and its results depend on it: the same SGEMM
// gives different bits on 1 and 2 threads (checked on Debian 12's OpenBLAS 0.3.21). Two jobs in one
// process (a trainer that parallelises itself and wants 1, a t-SNE that wants 2) must therefore not
// change it under each other, or training stops being reproducible. A lease makes them take turns.
import COpenBLAS
import Foundation

extension BLAS {
    /// Runs `body` with OpenBLAS on `threads` threads, and no other caller changing that meanwhile.
    ///
    /// Callers asking for the same count share the lease; a caller asking for another count waits
    /// until they are done, and later callers queue behind it. A nested call on a thread that already holds a lease runs at once with the
    /// count already set, so nesting never deadlocks.
    public static func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let wanted = max(1, threads)
        if ThreadLease.isHeldByCurrentThread { return try body() }
        ThreadLease.shared.acquire(wanted)
        ThreadLease.isHeldByCurrentThread = true
        defer {
            ThreadLease.isHeldByCurrentThread = false
            ThreadLease.shared.release()
        }
        return try body()
    }
}

/// Who holds OpenBLAS's thread count, and at what value. Callers enter in arrival order (a ticket
/// queue), so a stream of callers wanting one count cannot starve a caller wanting another.
private final class ThreadLease: @unchecked Sendable {
    static let shared = ThreadLease()
    private let condition = NSCondition()
    private var holders = 0
    private var count = 0
    private var nextTicket = 0
    private var serving = 0

    func acquire(_ wanted: Int) {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while ticket != serving || (holders > 0 && count != wanted) { condition.wait() }
        if count != wanted {
            openblas_set_num_threads(Int32(wanted))
            count = wanted
        }
        holders += 1
        serving += 1
        condition.broadcast()  // the next in line may share this count
        condition.unlock()
    }

    func release() {
        condition.lock()
        holders -= 1
        if holders == 0 { condition.broadcast() }
        condition.unlock()
    }

    private static let key = "loupe.blas.lease"
    static var isHeldByCurrentThread: Bool {
        get { Thread.current.threadDictionary[key] != nil }
        set { Thread.current.threadDictionary[key] = newValue ? true : nil }
    }
}
