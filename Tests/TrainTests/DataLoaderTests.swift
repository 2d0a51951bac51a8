import Foundation
import LoupeCore
import Testing
@testable import Train

/// Fails on chosen indices, like a corrupt file would.
struct FailingDataset: Dataset {
    var inner: ToyDataset
    var failing: Set<Int>
    var name: String { "failing" }
    var classes: [String] { inner.classes }
    var count: Int { inner.count }
    var channels: Int { 3 }
    var describe: [String: String] { [:] }
    func label(at index: Int) -> Int { inner.label(at: index) }
    func sample(at index: Int) throws -> Sample {
        if failing.contains(index) { throw LoupeError.format(path: "img\(index).jpg", message: "corrupt") }
        return try inner.sample(at: index)
    }
}

func collect(_ stream: BatchStream) throws -> [Batch] {
    var batches: [Batch] = []
    while let b = try stream.next() { batches.append(b) }
    return batches
}

@Suite struct DataLoaderTests {
    let toy = ToyDataset(labelList: (0..<23).map { $0 % 3 }, classCount: 3)

    @Test func epochCoversEveryIndexOnceWithMatchingContent() throws {
        let transform = Preprocessor(outputSize: 4, normalization: identity)
        let loader = try BatchLoader(dataset: toy, indices: Array(0..<23), batchSize: 5, transform: transform, seed: 1)
        #expect(loader.batchesPerEpoch == 5)
        let batches = try collect(loader.epoch(0))
        #expect(batches.map(\.indices.count) == [5, 5, 5, 5, 3])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<23))
        #expect(batches.flatMap(\.indices) != Array(0..<23))  // shuffled
        for b in batches {
            #expect(b.input.shape == [b.indices.count, 3, 4, 4])
            #expect(b.labels == b.indices.map { $0 % 3 })
            for (k, index) in b.indices.enumerated() {
                // ToyDataset fills sample i with value i.
                #expect(b.input.storage[(k * 48)..<((k + 1) * 48)].allSatisfy { abs($0 - Float(index) / 255) < 1e-6 })
            }
        }
    }

    @Test func sameSeedSameBatchesWhateverThreadingAndDifferentEpochsDiffer() throws {
        let data = try SyntheticDataset(SyntheticOptions(perClass: 3, size: 16))
        let aug = Augmenter(outputSize: 16, options: .standard)
        func run(workers: Int, prefetch: Int, epoch: Int) throws -> [Batch] {
            let loader = try BatchLoader(dataset: data, indices: Array(0..<data.count), batchSize: 4, transform: aug, seed: 42,
                                         dropLast: true, prefetch: prefetch, workers: workers)
            return try collect(loader.epoch(epoch))
        }
        let a = try run(workers: 1, prefetch: 1, epoch: 3), b = try run(workers: 2, prefetch: 3, epoch: 3)
        #expect(a.count == 6)  // 24 / 4
        #expect(a.map(\.input) == b.map(\.input) && a.map(\.indices) == b.map(\.indices))
        let c = try run(workers: 2, prefetch: 2, epoch: 4)
        #expect(c.map(\.indices) != a.map(\.indices))
        // The same sample is augmented differently in another epoch.
        let index = a[0].indices[0]
        let k = try #require(c.flatMap(\.indices).firstIndex(of: index))
        let per = 3 * 16 * 16
        let inC = Array(c[k / 4].input.storage[((k % 4) * per)..<((k % 4 + 1) * per)])
        #expect(inC != Array(a[0].input.storage[0..<per]))
    }

    @Test func unshuffledKeepsOrderAndDropLastDrops() throws {
        let loader = try BatchLoader(dataset: toy, indices: [4, 2, 9, 7, 1], batchSize: 2, transform: Preprocessor(outputSize: 4),
                                     seed: 0, shuffle: false, dropLast: true)
        #expect(try collect(loader.epoch(0)).map(\.indices) == [[4, 2], [9, 7]])
        #expect(throws: LoupeError.self) { try BatchLoader(dataset: toy, indices: [99], batchSize: 2, transform: Preprocessor(outputSize: 4), seed: 0) }
        #expect(throws: LoupeError.self) { try BatchLoader(dataset: toy, indices: [], batchSize: 2, transform: Preprocessor(outputSize: 4), seed: 0) }
    }

    @Test func aFailingSampleSurfacesOnceThenTheStreamEnds() throws {
        let data = FailingDataset(inner: toy, failing: [17])
        let loader = try BatchLoader(dataset: data, indices: Array(0..<23), batchSize: 4, transform: Preprocessor(outputSize: 4),
                                     seed: 0, shuffle: false)
        let stream = loader.epoch(0)
        var good = 0
        do {
            while try stream.next() != nil { good += 1 }
            Issue.record("no error")
        } catch let error as LoupeError {
            #expect(error.description.contains("img17.jpg"))
        }
        #expect(good == 4)  // batches 0–3 hold indices 0…15
        #expect(try stream.next() == nil)
    }

    @Test("with replacing on, an unreadable sample is replaced by the next readable one, with one warning in all")
    func unreadableSamplesAreReplacedDeterministically() throws {
        let data = FailingDataset(inner: toy, failing: [5, 6, 17])
        let warnings = WarningLog()
        let loader = try BatchLoader(dataset: data, indices: Array(0..<23), batchSize: 4, transform: Preprocessor(outputSize: 4, normalization: identity),
                                     seed: 3, replacesUnreadable: true, warn: { warnings.append($0) })
        let first = try collect(loader.epoch(0)), second = try collect(loader.epoch(1))
        for batches in [first, second] {
            let seen = batches.flatMap(\.indices)
            #expect(seen.count == 23)
            #expect(Set(seen).isDisjoint(with: [5, 6, 17]))
            for b in batches { #expect(b.labels == b.indices.map { toy.label(at: $0) }) }
        }
        // 5 and 6 are both replaced by 7 (the next readable index), 17 by 18.
        #expect(first.flatMap(\.indices).filter { $0 == 7 }.count == 3)
        #expect(first.flatMap(\.indices).filter { $0 == 18 }.count == 2)
        #expect(loader.unreadableIndices == [5, 6, 17])
        #expect(warnings.lines.count == 3, "\(warnings.lines)")
        #expect(warnings.lines.contains { $0.contains("sample 17 cannot be read") && $0.contains("img17.jpg") && $0.contains("sample 18") })
        // The same epoch again: the same batches, bit for bit, whatever the threads did.
        let again = try collect(loader.epoch(0))
        #expect(again.map(\.indices) == first.map(\.indices))
        #expect(again.map(\.input.storage) == first.map(\.input.storage))
    }

    @Test("with every sample unreadable, replacing still ends in the original error")
    func nothingReadableIsStillAnError() throws {
        let data = FailingDataset(inner: toy, failing: Set(0..<23))
        let loader = try BatchLoader(dataset: data, indices: Array(0..<23), batchSize: 4, transform: Preprocessor(outputSize: 4),
                                     seed: 0, replacesUnreadable: true, warn: { _ in })
        #expect(throws: LoupeError.self) { _ = try collect(loader.epoch(0)) }
    }

    @Test func droppingAStreamEarlyStopsItsProducer() throws {
        let loader = try BatchLoader(dataset: toy, indices: Array(0..<23), batchSize: 1, transform: Preprocessor(outputSize: 4), seed: 0, prefetch: 1)
        for _ in 0..<20 {
            let stream = loader.epoch(0)
            _ = try stream.next()
        }
        // A cancelled stream returns nil rather than blocking.
        let stream = loader.epoch(1)
        stream.cancel()
        #expect(try stream.next() == nil)
    }
}

@Suite struct DataFolderLoaderTests {
    @Test func mixedSizeFolderImagesBatchThroughBothTransforms() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        try folder.write("a/wide.png", try coordinateImage(width: 20, height: 10).pngData())
        try folder.write("a/tall.png", try coordinateImage(width: 9, height: 17).pngData())
        try folder.write("b/photo.jpg", jpegRGB8x6)
        try folder.write("b/gray.png", try Image(width: 5, height: 5, channels: 1, fill: 90).pngData())
        let data = try FolderDataset(directory: folder.path, warn: { _ in })
        #expect(data.channels == 3)
        for transform in [Preprocessor(outputSize: 8) as any SampleTransform, Augmenter(outputSize: 8, options: .standard)] {
            let loader = try BatchLoader(dataset: data, indices: Array(0..<4), batchSize: 3, transform: transform, seed: 2)
            let batches = try collect(loader.epoch(0))
            #expect(batches.map { $0.input.shape } == [[3, 3, 8, 8], [1, 3, 8, 8]])
            #expect(batches.allSatisfy { $0.input.storage.allSatisfy { $0.isFinite && abs($0) <= 1 } })
        }
        // The gray PNG is repeated into RGB.
        let gray = try data.sample(at: 2)  // sorted: a/tall, a/wide, b/gray, b/photo
        #expect(gray.id == "b/gray.png" && gray.image.channels == 3 && gray.image.pixels.allSatisfy { $0 == 90 })
    }
}

extension Batch: Equatable {
    public static func == (a: Batch, b: Batch) -> Bool { a.input == b.input && a.labels == b.labels && a.indices == b.indices }
}

/// Warnings collected from loader threads.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}
