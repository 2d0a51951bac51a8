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

    /// The bug this guards: a trainer sets 1 thread, a concurrent t-SNE sets 2, and the trainer's
    /// SGEMMs silently change bits (OpenBLAS's results depend on its thread count).
    @Test("a product computed under a lease is bit-identical while another thread keeps asking for another count")
    func leaseHoldsAgainstAnotherThread() {
        var rng = SeededGenerator(seed: 3)
        let a = Tensor(shape: [16, 1024], storage: (0..<(16 * 1024)).map { _ in rng.nextGaussian() })
        let b = Tensor(shape: [1024, 72], storage: (0..<(1024 * 72)).map { _ in rng.nextGaussian() })
        let single = BLAS.withThreads(1) { Tensor.matmul(a, b) }
        let double = BLAS.withThreads(2) { Tensor.matmul(a, b) }
        // Without this difference the test below could not fail, so say so instead of passing quietly.
        guard single.storage != double.storage else {
            Issue.record("OpenBLAS gives the same bits on 1 and 2 threads here; the lease is untested")
            return
        }
        let stop = Flag()
        let other = Thread {
            while !stop.isSet { BLAS.withThreads(2) { _ = Tensor.matmul(a, b) } }
        }
        other.start()
        defer { stop.set() }
        for _ in 0..<50 {
            let c = BLAS.withThreads(1) { Tensor.matmul(a, b) }
            #expect(c.storage == single.storage)
        }
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
