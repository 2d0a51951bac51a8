import Foundation
import LoupeCore
import Testing

@Suite("OpenBLAS thread lease")
struct BLASThreadLeaseTests {
    @Test("inside a lease the count is the one asked for, and a nested lease keeps the outer count")
    func countInsideLease() {
        BLAS.withThreads(1) {
            #expect(BLAS.threads == 1)
            BLAS.withThreads(2) { #expect(BLAS.threads == 1) }
        }
        BLAS.withThreads(2) { #expect(BLAS.threads == 2) }
    }

    /// The bug this guards: a trainer holds 1 thread, a concurrent t-SNE asks for 2, and the
    /// trainer's SGEMMs silently run on 2 (OpenBLAS's bits can depend on its thread count, so
    /// training would stop being reproducible). The audit checks the setting each GEMM ran under, not
    /// result bits: whether 1 and 2 threads round differently depends on the kernel this CPU gets.
    @Test("no GEMM made under a lease of 1 runs while OpenBLAS is set to 2, though another thread keeps asking for 2")
    func leaseHoldsAgainstAnotherThread() {
        var rng = SeededGenerator(seed: 3)
        let a = Tensor(shape: [16, 256], storage: (0..<(16 * 256)).map { _ in rng.nextGaussian() })
        let b = Tensor(shape: [256, 72], storage: (0..<(256 * 72)).map { _ in rng.nextGaussian() })
        let rounds = 2000
        let stop = Flag(), started = DispatchSemaphore(value: 0)
        let other = Thread {
            started.signal()
            while !stop.isSet { BLAS.withThreads(2) { _ = Tensor.matmul(a, b) } }
        }
        let audit = BLAS.auditingThreads {
            other.start()
            started.wait()
            for _ in 0..<rounds { BLAS.withThreads(1) { _ = Tensor.matmul(a, b) } }
            stop.set()
        }
        // The audit must have seen this thread's calls, or a zero mismatch count would mean nothing.
        #expect(audit.leasedCalls >= rounds, "\(audit)")
        #expect(audit.mismatchedCalls == 0, "\(audit.mismatchedCalls) of \(audit.leasedCalls) leased GEMMs ran on another thread count")
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
