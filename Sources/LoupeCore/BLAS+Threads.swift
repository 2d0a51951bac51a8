// OpenBLAS's thread count is one process-wide setting, and its results depend on it: the same SGEMM
// gives different bits on 1 and 2 threads (checked on Debian 12's OpenBLAS 0.3.21). Two jobs in one
// process (a trainer that parallelises itself and wants 1, a t-SNE that wants 2) must therefore not
// change it under each other, or training stops being reproducible. A lease makes them take turns.
import COpenBLAS
import Foundation
import Synchronization

extension BLAS {
    /// Runs `body` with OpenBLAS on `threads` threads, and no other caller changing that meanwhile.
    ///
    /// Callers asking for the same count share the lease; a caller asking for another count waits
    /// until they are done, and later callers queue behind it. A nested call on a thread that already holds a lease runs at once with the
    /// count already set, so nesting never deadlocks.
    public static func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let wanted = max(1, threads)
        if ThreadLease.countHeldByCurrentThread != nil { return try body() }
        ThreadLease.shared.acquire(wanted)
        ThreadLease.countHeldByCurrentThread = wanted
        defer {
            ThreadLease.countHeldByCurrentThread = nil
            ThreadLease.shared.release()
        }
        return try body()
    }

    /// Runs `body` while every level-3 BLAS call (from any thread) checks the thread count OpenBLAS
    /// is set to, before and after the call, against the lease its caller holds.
    ///
    /// A test hook: it shows that the lease works on any CPU, where comparing result bits would only
    /// show that this CPU's OpenBLAS kernel happens to round differently on 1 and 2 threads. Audits
    /// take turns; outside one, each call pays one relaxed atomic load.
    public static func auditingThreads(_ body: () throws -> Void) rethrows -> ThreadAudit {
        ThreadAudit.exclusive.lock()
        defer { ThreadAudit.exclusive.unlock() }
        ThreadAudit.record.withLock { $0 = ThreadAudit() }
        ThreadAudit.enabled.store(true, ordering: .sequentiallyConsistent)
        defer { ThreadAudit.enabled.store(false, ordering: .sequentiallyConsistent) }
        try body()
        return ThreadAudit.record.withLock { $0 }
    }

    /// Runs one BLAS call, recording it when an audit is on.
    @inline(__always)
    static func audited(_ call: () -> Void) {
        guard ThreadAudit.enabled.load(ordering: .relaxed) else { return call() }
        let leased = ThreadLease.countHeldByCurrentThread
        let before = threads
        call()
        let after = threads
        ThreadAudit.record.withLock { audit in
            guard let leased else { audit.unleasedCalls += 1; return }
            audit.leasedCalls += 1
            if before != leased || after != leased { audit.mismatchedCalls += 1 }
        }
    }
}

/// What `BLAS.auditingThreads` saw: how many calls ran under a lease, and how many of those found
/// OpenBLAS set to another count than their lease.
public struct ThreadAudit: Sendable, Equatable {
    /// Calls made inside `BLAS.withThreads`.
    public var leasedCalls = 0
    /// Leased calls during which OpenBLAS's count was not the leased one: the lease failed.
    public var mismatchedCalls = 0
    /// Calls made outside any lease (their count is whatever is set; nothing was promised).
    public var unleasedCalls = 0

    fileprivate static let enabled = Atomic<Bool>(false)
    fileprivate static let record = Mutex(ThreadAudit())
    fileprivate static let exclusive = NSLock()
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
    /// The count of the lease this thread holds, or nil outside any lease.
    static var countHeldByCurrentThread: Int? {
        get { Thread.current.threadDictionary[key] as? Int }
        set { Thread.current.threadDictionary[key] = newValue }
    }
}
