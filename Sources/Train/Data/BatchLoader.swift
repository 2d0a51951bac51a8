import Foundation
import LoupeCore

/// One batch: the network input and where it came from.
public struct Batch: Sendable {
    /// N × C × S × S, normalised.
    public var input: Tensor
    public var labels: [Int]
    /// Dataset indices of the N samples, in batch order.
    public var indices: [Int]
}

/// Prepares batches of a dataset ahead of the compute, on its own thread.
///
/// Each epoch visits `indices` in an order shuffled from (seed, epoch); each sample's augmentation
/// draws from a generator seeded by (seed, epoch, dataset index). Batches are therefore identical
/// whatever the thread timing, the number of workers or the prefetch depth.
public final class BatchLoader: Sendable {
    public let dataset: any Dataset
    public let indices: [Int]
    public let batchSize: Int
    public let transform: any SampleTransform
    public let seed: UInt64
    public let shuffle: Bool
    /// Drop a last, smaller batch (training) or keep it (evaluation).
    public let dropLast: Bool
    /// Batches prepared ahead and waiting (the bounded queue's length).
    public let prefetch: Int
    /// Threads that fill one batch together.
    public let workers: Int
    /// Replace a sample that fails to load (a truncated JPEG, say) by the next loadable one in `indices`,
    /// with one warning per bad sample, instead of ending the epoch with its error.
    public let replacesUnreadable: Bool
    private let warn: @Sendable (String) -> Void
    private let unreadable = LockedBox<Set<Int>>([])
    private let warned = LockedBox<Set<Int>>([])

    /// - Throws: `LoupeError.invalidInput` for an empty index list, a batch size < 1, or an index
    ///   outside the dataset.
    public init(dataset: any Dataset, indices: [Int], batchSize: Int, transform: any SampleTransform, seed: UInt64,
                shuffle: Bool = true, dropLast: Bool = false, prefetch: Int = 2, workers: Int = 2,
                replacesUnreadable: Bool = false,
                warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }) throws {
        guard batchSize >= 1 else { throw LoupeError.invalidInput("batch size must be at least 1, got \(batchSize)") }
        guard !indices.isEmpty else { throw LoupeError.invalidInput("\(dataset.name): no samples to load") }
        if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
            throw LoupeError.invalidInput("\(dataset.name): index \(bad) out of range 0..<\(dataset.count)")
        }
        if dropLast && indices.count < batchSize {
            throw LoupeError.invalidInput("\(dataset.name): \(indices.count) samples make no full batch of \(batchSize)")
        }
        self.dataset = dataset
        self.indices = indices
        self.batchSize = batchSize
        self.transform = transform
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = max(1, prefetch)
        self.workers = max(1, workers)
        self.replacesUnreadable = replacesUnreadable
        self.warn = warn
    }

    /// Dataset indices that failed to load so far (and were replaced).
    public var unreadableIndices: Set<Int> { unreadable.value }

    public var batchesPerEpoch: Int {
        dropLast ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize
    }

    /// The order in which epoch `epoch` visits the samples.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return indices }
        var order = indices
        var rng = SeededGenerator(seed: SeedMix.combine(seed, 0x4F52_4445_52, UInt64(epoch)))  // "ORDER"
        seededShuffle(&order, using: &rng)
        return order
    }

    /// Starts preparing epoch `epoch`'s batches on a background thread.
    public func epoch(_ epoch: Int) -> BatchStream {
        let order = order(epoch: epoch)
        let batches = (0..<batchesPerEpoch).map { b in Array(order[(b * batchSize)..<min(order.count, (b + 1) * batchSize)]) }
        return BatchStream(loader: self, epoch: epoch, batches: batches)
    }

    /// Fills `storage` (C × S × S per sample) with the transformed samples of `members`.
    /// - Returns: the dataset indices actually loaded: `members`, except where an unreadable sample was replaced.
    /// - Throws: the first error of `dataset.sample(at:)` (when replacing, only if nothing in `indices` loads).
    func fill(_ storage: inout [Float], members: [Int], epoch: Int) throws -> [Int] {
        let per = transform.outputChannels * transform.outputSize * transform.outputSize
        let firstError = LockedBox<Error?>(nil)
        let loaded = LockedBox(members)
        let workers = min(workers, members.count)
        storage.withUnsafeMutableBufferPointer { buffer in
            let target = SendableBuffer(buffer)
            let work: @Sendable (Int) -> Void = { worker in
                for position in stride(from: worker, to: members.count, by: workers) {
                    do {
                        let (index, sample) = try self.loadable(members[position])
                        var rng = SeededGenerator(seed: SeedMix.combine(self.seed, UInt64(epoch), UInt64(index)))
                        self.transform.write(sample, into: target.slice(position * per, per), rng: &rng)
                        if index != members[position] { loaded.withValue { $0[position] = index } }
                    } catch {
                        firstError.withValue { if $0 == nil { $0 = error } }
                        return
                    }
                }
            }
            if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        }
        if let error = firstError.value { throw error }
        return loaded.value
    }

    /// `index`'s sample or, when it cannot be read and replacing is on, the next readable one after it in
    /// `indices` (wrapping): the same replacement every time, whatever the thread timing.
    private func loadable(_ index: Int) throws -> (Int, Sample) {
        let failure: Error
        do {
            return (index, try dataset.sample(at: index))
        } catch {
            guard replacesUnreadable else { throw error }
            failure = error
        }
        // Only an unreadable sample gets here, so the search below stays off the per-sample path.
        unreadable.withValue { _ = $0.insert(index) }
        let start = indices.firstIndex(of: index) ?? 0
        for step in 1..<indices.count {
            let candidate = indices[(start + step) % indices.count]
            if unreadable.value.contains(candidate) { continue }
            do {
                let sample = try dataset.sample(at: candidate)
                if warned.withValue({ $0.insert(index).inserted }) {
                    warn("\(dataset.name): sample \(index) cannot be read (\(failure)); using sample \(candidate) in its place")
                }
                return (candidate, sample)
            } catch {
                unreadable.withValue { _ = $0.insert(candidate) }
            }
        }
        throw failure
    }
}

/// The batches of one epoch, produced ahead on a background thread into a bounded queue.
///
/// Call `next()` until it returns nil. Dropping the stream (or `cancel()`) stops the producer.
public final class BatchStream: @unchecked Sendable {
    public let epoch: Int
    /// Number of batches in the epoch.
    public let count: Int
    private let channel: BatchChannel
    private var delivered = 0
    /// Seconds `next()` spent waiting for the producer: near zero when loading keeps up.
    public private(set) var waitSeconds: Double = 0

    init(loader: BatchLoader, epoch: Int, batches: [[Int]]) {
        self.epoch = epoch
        count = batches.count
        let channel = BatchChannel(capacity: loader.prefetch)
        self.channel = channel
        let per = loader.transform.outputChannels * loader.transform.outputSize * loader.transform.outputSize
        let shape = [loader.transform.outputChannels, loader.transform.outputSize, loader.transform.outputSize]
        let ringSize = loader.prefetch + 2
        // The thread holds the channel and the loader, never the stream, so dropping the stream cancels it.
        let thread = Thread {
            // Buffers are reused round-robin: once the consumer has dropped a batch, refilling its
            // storage needs no allocation (a still-held batch is copied on write, never overwritten).
            var ring = [[Float]](repeating: [], count: ringSize)
            for (b, members) in batches.enumerated() {
                guard channel.waitForSlot() else { return }
                let full = members.count == loader.batchSize
                var storage = full ? ring[b % ringSize] : []
                ring[b % ringSize] = []
                if storage.count != members.count * per { storage = [Float](repeating: 0, count: members.count * per) }
                do {
                    let loaded = try loader.fill(&storage, members: members, epoch: epoch)
                    let labels = loaded.map { loader.dataset.label(at: $0) }
                    channel.put(.success(Batch(input: Tensor(shape: [members.count] + shape, storage: storage), labels: labels, indices: loaded)))
                    if full { ring[b % ringSize] = storage }
                } catch {
                    channel.put(.failure(error))
                    return
                }
            }
        }
        thread.name = "loupe.batch-loader"
        thread.start()
    }

    /// The next batch, waiting for it if needed; nil after the last one.
    /// - Throws: the error that stopped the producer (e.g. an unreadable image), once; then nil.
    public func next() throws -> Batch? {
        guard delivered < count, !channel.isCancelled else { return nil }
        let start = DispatchTime.now().uptimeNanoseconds
        guard let result = channel.take() else { return nil }
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        delivered += 1
        if case .failure = result { channel.cancel() }
        return try result.get()
    }

    /// Stops the producer after the batch it is working on.
    public func cancel() { channel.cancel() }

    deinit { channel.cancel() }
}

/// A bounded queue between one producer and one consumer, with cancellation.
final class BatchChannel: @unchecked Sendable {
    private let lock = NSLock()
    // Both start at 0: libdispatch traps when a semaphore is freed below its initial value, which a
    // cancelled channel may well be.
    private let freeSlots = DispatchSemaphore(value: 0)
    private let ready = DispatchSemaphore(value: 0)
    private var queue: [Result<Batch, Error>] = []
    private var cancelled = false

    init(capacity: Int) {
        for _ in 0..<capacity { freeSlots.signal() }
    }

    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    /// Producer: waits for room; false once cancelled.
    func waitForSlot() -> Bool {
        freeSlots.wait()
        return !isCancelled
    }

    func put(_ result: Result<Batch, Error>) {
        lock.lock(); queue.append(result); lock.unlock()
        ready.signal()
    }

    /// Consumer: waits for the next result and frees its slot; nil when cancelled.
    func take() -> Result<Batch, Error>? {
        ready.wait()
        lock.lock()
        guard !cancelled, !queue.isEmpty else { lock.unlock(); return nil }
        let result = queue.removeFirst()
        lock.unlock()
        freeSlots.signal()
        return result
    }

    func cancel() {
        lock.lock()
        let first = !cancelled
        cancelled = true
        lock.unlock()
        if first { freeSlots.signal(); ready.signal() }
    }
}

/// A buffer handed to worker threads that write disjoint slices of it.
struct SendableBuffer: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Float>
    init(_ base: UnsafeMutableBufferPointer<Float>) { self.base = base }
    func slice(_ start: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: base[start..<(start + count)])
    }
}
