import CKernels
import Dispatch
import Foundation
import Testing
@testable import Train

/// Parallel regions on CKernels' spinning workers (workers.c): every part runs exactly once, whatever the
/// part count, after the workers went to sleep, from a part (nested) and from several threads at once.
@Suite struct ParallelTests {
    /// Runs a region of `parts` that counts each part's runs; true when each ran once.
    static func eachPartOnce(_ parts: Int) -> Bool {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: parts)
        counts.initialize(repeating: 0, count: parts)
        defer { counts.deallocate() }
        let shared = SharedPointer(counts)
        Parallel.run(parts) { part in shared[part] += 1 }
        return (0..<parts).allSatisfy { counts[$0] == 1 }
    }

    @Test func everyPartRunsOnceForAnyCount() {
        for parts in [1, 2, 3, 5, 2, 8, 2] { #expect(Self.eachPartOnce(parts), "\(parts) parts") }
    }

    /// The C entry point itself: −1 for fewer than two parts and inside a part; 0 and every part otherwise.
    @Test func entryPointRefusesWhatItCannotRun() {
        // counts[0 ..< 3]: runs of each part; counts[3]: the nested call's status.
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        counts.initialize(repeating: 0, count: 4)
        defer { counts.deallocate() }
        #expect(loupe_parallel_run(1, counts) { _, _ in } == -1)
        var status: Int32 = -1
        // Another test may hold the workers (Swift Testing runs suites concurrently): retry until ours runs.
        for _ in 0..<1000 where status != 0 {
            counts.update(repeating: 0, count: 4)
            status = loupe_parallel_run(3, counts) { context, part in
                let counts = context!.assumingMemoryBound(to: Int.self)
                counts[part] += 1
                if part == 0 { counts[3] = Int(loupe_parallel_run(2, context) { _, _ in }) }
            }
            if status != 0 { usleep(1000) }
        }
        #expect(status == 0)
        #expect((0..<3).allSatisfy { counts[$0] == 1 })
        #expect(counts[3] == -1)
    }

    /// Workers that slept (no region for longer than their spin) wake for the next one.
    @Test func regionsAfterTheWorkersSlept() {
        for _ in 0..<3 {
            usleep(5000)
            #expect(Self.eachPartOnce(2))
        }
    }

    /// Four threads opening regions at once: each region's parts run once, on the workers or on Dispatch's.
    @Test func concurrentSubmittersEachGetTheirParts() {
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        failures.initialize(repeating: 0, count: 4)
        defer { failures.deallocate() }
        let shared = SharedPointer(failures)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<200 where !Self.eachPartOnce(2 + (round + thread) % 3) { shared[thread] += 1 }
        }
        #expect((0..<4).allSatisfy { failures[$0] == 0 })
    }

    /// A region inside a part (not one the kernels open, but allowed) falls back to Dispatch and still runs.
    @Test func nestedRegionsRun() {
        let inner = UnsafeMutablePointer<Int>.allocate(capacity: 6)
        inner.initialize(repeating: 0, count: 6)
        defer { inner.deallocate() }
        let shared = SharedPointer(inner)
        Parallel.run(2) { outer in
            Parallel.run(3) { part in shared[outer * 3 + part] += 1 }
        }
        #expect((0..<6).allSatisfy { inner[$0] == 1 })
    }
}
