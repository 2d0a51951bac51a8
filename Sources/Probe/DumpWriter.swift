import Foundation
import Synchronization
import LoupeCore

/// What a dump holds besides its per-sample rows: written once as root attributes and dataset shapes.
public struct DumpHeader: Sendable {
    public var epoch: Int
    public var model: String
    public var run: String
    public var target: ProbeTarget
    public var mode = "eval"
    public var storage: HDF5ElementType = .float16
    public var compression: HDF5Compression = .none
    public var normalizationMean: [Double]
    public var normalizationStd: [Double]
    public var imageSize: Int
    public var imageChannels: Int
    public var seed: UInt64
    public var classes: [String]
    public var sampleCount: Int
    /// Recorded layers with their per-sample shapes (C×h×w), in model order.
    public var layers: [(name: String, shape: [Int])]
    public var embeddingSize: Int
    public var hasBackground = false
    public var hasBox = false
    public var hasMask = false

    public init(epoch: Int, model: String, run: String, target: ProbeTarget, normalizationMean: [Double], normalizationStd: [Double],
                imageSize: Int, imageChannels: Int, seed: UInt64, classes: [String], sampleCount: Int,
                layers: [(name: String, shape: [Int])], embeddingSize: Int) {
        self.epoch = epoch
        self.model = model
        self.run = run
        self.target = target
        self.normalizationMean = normalizationMean
        self.normalizationStd = normalizationStd
        self.imageSize = imageSize
        self.imageChannels = imageChannels
        self.seed = seed
        self.classes = classes
        self.sampleCount = sampleCount
        self.layers = layers
        self.embeddingSize = embeddingSize
    }
}

/// One batch of probe results, rows `start ..< start + count` of every dataset.
public struct DumpRows: Sendable {
    public var samples: ProbeSamples
    public var logits: [Float]          // B×K
    public var probabilities: [Float]   // B×K
    public var targetValues: [Float]    // B
    public var embedding: [Float]       // B×D
    public var activations: [String: Tensor]
    public var gradients: [String: Tensor]

    public init(samples: ProbeSamples, logits: [Float], probabilities: [Float], targetValues: [Float], embedding: [Float],
                activations: [String: Tensor], gradients: [String: Tensor]) {
        self.samples = samples
        self.logits = logits
        self.probabilities = probabilities
        self.targetValues = targetValues
        self.embedding = embedding
        self.activations = activations
        self.gradients = gradients
    }
}

extension DumpRows {
    /// These rows without pixels, activations and gradients: what the writer still needs once those are staged,
    /// so the float32 layers are freed before the batch is written.
    var withoutStagedData: DumpRows {
        var rows = self
        rows.samples.images = []
        rows.activations = [:]
        rows.gradients = [:]
        return rows
    }
}

/// Streams a dump to disk batch by batch, so peak memory does not grow with the probe-set size.
///
/// The file is built under a temporary name and renamed when `write` returns: a dump under its final
/// name is complete (docs/run-format.md).
public enum DumpWriter {
    /// Runs `body(i)` for every `i` in `0..<iterations`, possibly on several threads.
    public typealias Spread = (_ iterations: Int, _ body: (Int) -> Void) -> Void

    /// Creates `path`, calls `produce` with an `emit` function that appends rows in order, then commits.
    ///
    /// A writer thread stores batch k while `produce` computes batch k + 1; `emit` waits until the previous
    /// batch is stored, so at most two batches of rows are held. In an uncompressed dump `emit` first converts
    /// the batch's pixels and layers into their file layout with `spread` (the network's compute threads), and
    /// the writer only hands them to the disk (`HDF5RowStream`): work on the writer thread takes a core from the
    /// next batch's computation, and stalls both of its threads while it does. A failed write makes the next
    /// `emit` (or `write` itself) throw the writer's error.
    public static func write(_ path: String, header: DumpHeader, spread: @escaping Spread = { n, body in for i in 0..<n { body(i) } },
                             produce: (_ emit: (DumpRows) throws -> Void) throws -> Void) throws {
        try HDF5File.writeAtomically(path) { file in
            let sink = try DumpSink(file: file, header: header)
            let handoff = RowHandoff()
            let finished = DispatchSemaphore(value: 0)
            let writer = Thread {
                defer { finished.signal() }
                while let item = handoff.next() {
                    do {
                        try sink.append(item.rows, staged: item.staged, at: item.start)
                        // The disk writes then overlap the next batches' compute, not the final fsync.
                        try file.startWriteback()
                    } catch { handoff.fail(error); return }
                    handoff.stored()
                }
            }
            writer.name = "loupe dump writer"
            writer.start()
            var row = 0
            var producerError: Error?
            do {
                try produce { rows in
                    // Checked here, not on the writer: a malformed batch fails at once, before anything is queued.
                    try sink.check(rows, at: row)
                    let staged = try sink.stage(rows, at: row, spread: spread)
                    try handoff.put(staged == nil ? rows : rows.withoutStagedData, staged: staged, at: row)
                    row += rows.samples.labels.count
                }
            } catch {
                producerError = error
            }
            handoff.close()
            finished.wait()
            // The writer's error first: the producer's is then usually the same one, rethrown by `emit`.
            if let error = handoff.failure ?? producerError { throw error }
            guard row == header.sampleCount else {
                throw LoupeError.invalidInput("probe produced \(row) samples, the dump expects \(header.sampleCount)")
            }
            try file.write(RunFormat.Dump.ids, strings: sink.ids)
        }
    }
}

/// The datasets of one dump being written, and the rows written so far.
///
/// Used by one thread at a time: the caller creates it, the writer thread appends while rows are produced,
/// and the caller reads `ids` after the writer has finished (ordered by a semaphore).
private final class DumpSink: @unchecked Sendable {
    let header: DumpHeader
    let images, labels, meanRGB, logits, probabilities, targets, embedding: HDF5Dataset
    let background, box, mask: HDF5Dataset?
    /// Activation and gradient dataset per recorded layer, in header order.
    let layers: [(name: String, activation: HDF5Dataset, gradient: HDF5Dataset)]
    /// Writes the pixel and layer rows of an uncompressed dump straight to disk (nearly all its bytes); nil
    /// for a compressed dump, whose rows go through HDF5's filters.
    let stream: HDF5RowStream?
    /// Two batches in turn: the producer fills one while the writer writes the other.
    private let batches: [HDF5RowBatch]
    /// The last dump's batches: their memory is mapped already (fresh memory costs a page fault per 4 KB,
    /// about 5,000 a LittleConv dump, taken on the computing threads).
    private static let spareBatches = Mutex<[HDF5RowBatch]>([])
    private var nextBatch = 0
    private(set) var ids: [String] = []

    init(file: HDF5File, header: DumpHeader) throws {
        self.header = header
        try RunFormat.stamp(file, format: RunFormat.dumpFormat, version: RunFormat.dumpVersion)
        try file.setAttribute("epoch", header.epoch)
        try file.setAttribute("model", header.model)
        try file.setAttribute("run", header.run)
        try file.setAttribute("target", header.target.rawValue)
        try file.setAttribute("mode", header.mode)
        try file.setAttribute("dtype", header.storage.rawValue)
        try file.setAttribute("normalization_mean", .doubles(header.normalizationMean))
        try file.setAttribute("normalization_std", .doubles(header.normalizationStd))
        try file.setAttribute("image_size", header.imageSize)
        try file.setAttribute("seed", .int(Int64(bitPattern: header.seed)))
        try file.setAttribute("layers", .strings(header.layers.map(\.name)))
        let n = header.sampleCount, s = header.imageSize, k = header.classes.count
        let direct = header.compression == .none
        stream = direct ? try HDF5RowStream(file: file) : nil
        let spares = DumpSink.spareBatches.withLock { spares in
            defer { spares.removeAll() }
            return spares
        }
        batches = spares.count == 2 ? spares : [HDF5RowBatch(), HDF5RowBatch()]
        try file.write(RunFormat.Dump.classes, strings: header.classes)
        // Pixels take the dump's compression like the layers do. Deflate on them was a poor trade: synthetic and
        // photo pixels shrink by about 1.2×, and the filter path compressed the chunks left in HDF5's chunk cache
        // on the calling thread at close, after the overlapped writes (about 20 ms of a 0.4 s LittleConv dump).
        images = try file.createDataset(RunFormat.Dump.images, type: .uint8, shape: [n, s, s, header.imageChannels],
                                        chunk: DumpSink.rowChunk([s, s, header.imageChannels], header.compression),
                                        compression: header.compression, preallocated: direct)
        labels = try file.createDataset(RunFormat.Dump.labels, type: .int32, shape: [n])
        meanRGB = try file.createDataset(RunFormat.Dump.meanRGB, type: .float32, shape: [n, 3])
        background = header.hasBackground ? try file.createDataset(RunFormat.Dump.background, type: .float32, shape: [n, 3]) : nil
        box = header.hasBox ? try file.createDataset(RunFormat.Dump.box, type: .float32, shape: [n, 4]) : nil
        mask = header.hasMask ? try file.createDataset(RunFormat.Dump.mask, type: .uint8, shape: [n, s, s],
                                                       chunk: DumpSink.rowChunk([s, s], header.compression),
                                                       compression: header.compression) : nil
        logits = try file.createDataset(RunFormat.Dump.logits, type: .float32, shape: [n, k])
        probabilities = try file.createDataset(RunFormat.Dump.probabilities, type: .float32, shape: [n, k])
        targets = try file.createDataset(RunFormat.Dump.targetValues, type: .float32, shape: [n])
        embedding = try file.createDataset(RunFormat.Dump.embedding, type: .float32, shape: [n, header.embeddingSize])
        layers = try header.layers.map { name, shape in
            let full = [n] + shape, chunk = DumpSink.rowChunk(shape, header.compression)
            return (name,
                    try file.createDataset(RunFormat.Dump.activation(name), type: header.storage, shape: full, chunk: chunk,
                                           compression: header.compression, preallocated: direct),
                    try file.createDataset(RunFormat.Dump.gradient(name), type: header.storage, shape: full, chunk: chunk,
                                           compression: header.compression, preallocated: direct))
        }
    }

    /// One sample per chunk when compressed (a row decompresses alone); contiguous otherwise, so that a batch
    /// of rows goes to the file in one large write per dataset, and a row is still read alone.
    static func rowChunk(_ row: [Int], _ compression: HDF5Compression) -> [Int]? {
        compression == .none ? nil : [1] + row
    }

    deinit {
        for batch in batches { batch.removeAll() }
        DumpSink.spareBatches.withLock { $0 = batches }
    }

    /// Throws when `rows` would not fit at row `start`, lack a recorded layer, or hold pixels or layers of
    /// another size than their samples need (staging copies exactly that many). Reads only immutable state.
    func check(_ rows: DumpRows, at start: Int) throws {
        let n = header.sampleCount, count = rows.samples.labels.count
        guard start + count <= n else {
            throw LoupeError.invalidInput("probe produced more than the \(n) samples the dump was sized for")
        }
        let pixels = count * header.imageSize * header.imageSize * header.imageChannels
        guard rows.samples.images.count == pixels else {
            throw LoupeError.invalidInput("a batch of \(count) samples has \(rows.samples.images.count) pixel values; expected \(pixels)")
        }
        for (name, shape) in header.layers {
            guard let activation = rows.activations[name], let gradient = rows.gradients[name] else {
                throw LoupeError.invalidInput("layer '\(name)' was not recorded in this batch")
            }
            let values = count * shape.reduce(1, *)
            guard activation.storage.count == values, gradient.storage.count == values else {
                throw LoupeError.invalidInput("layer '\(name)' recorded \(activation.storage.count) activations and \(gradient.storage.count) gradients for \(count) samples of \(shape.map(String.init).joined(separator: "×")); expected \(values) each")
            }
        }
    }

    /// Elements a thread converts at a time: 512 KB of float32, so that a batch spreads evenly over the threads.
    static let stagingChunk = 1 << 17

    /// Converts the pixel and layer rows into the next staged batch, on `spread`'s threads; nil for a
    /// compressed dump (its writer converts and compresses). Called by the producing thread only.
    func stage(_ rows: DumpRows, at row: Int, spread: DumpWriter.Spread) throws -> HDF5RowBatch? {
        guard stream != nil else { return nil }
        let batch = batches[nextBatch]
        nextBatch = 1 - nextBatch
        batch.removeAll()
        let n = rows.samples.labels.count
        let pixels = try batch.add(images, start: row, rows: n)
        var sources: [(piece: Int, values: [Float])] = []
        for (name, activation, gradient) in layers {
            sources.append((try batch.add(activation, start: row, rows: n), rows.activations[name]!.storage))
            sources.append((try batch.add(gradient, start: row, rows: n), rows.gradients[name]!.storage))
        }
        rows.samples.images.withUnsafeBytes { batch.fill(pixels, bytes: $0) }
        var work: [(source: Int, elements: Range<Int>)] = []
        for (index, source) in sources.enumerated() {
            for lower in stride(from: 0, to: source.values.count, by: Self.stagingChunk) {
                work.append((index, lower ..< min(lower + Self.stagingChunk, source.values.count)))
            }
        }
        spread(work.count) { w in
            let (index, elements) = work[w]
            sources[index].values.withUnsafeBufferPointer { batch.fill(sources[index].piece, elements: elements, from: $0.baseAddress! + elements.lowerBound) }
        }
        return batch
    }

    /// Writes one batch: the staged pixels and layers, if any, and the rest of `rows`. On the writer thread.
    func append(_ rows: DumpRows, staged batch: HDF5RowBatch?, at row: Int) throws {
        let samples = rows.samples
        if let batch, let stream {
            try stream.write(batch)
        } else {
            try images.writeRows(start: row, samples.images)
            for (name, activation, gradient) in layers {
                try activation.writeRows(start: row, rows.activations[name]!.storage)
                try gradient.writeRows(start: row, rows.gradients[name]!.storage)
            }
        }
        try labels.writeRows(start: row, samples.labels.map { Int32($0) })
        try meanRGB.writeRows(start: row, samples.meanRGB)
        if let background, let values = samples.background { try background.writeRows(start: row, values) }
        if let box, let values = samples.box { try box.writeRows(start: row, values) }
        if let mask, let values = samples.mask { try mask.writeRows(start: row, values) }
        try logits.writeRows(start: row, rows.logits)
        try probabilities.writeRows(start: row, rows.probabilities)
        try targets.writeRows(start: row, rows.targetValues)
        try embedding.writeRows(start: row, rows.embedding)
        ids += samples.ids
    }
}

/// A one-batch handoff from the producing thread to the writer thread.
///
/// `put` returns once the writer has stored the previous batch, so the producer can be at most one batch
/// ahead: memory stays at two batches of rows however long the probe set is.
private final class RowHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: (rows: DumpRows, staged: HDF5RowBatch?, start: Int)?
    private var busy = false
    private var closed = false
    private(set) var failure: Error?

    /// Queues `rows` (and their staged pixels and layers) for the writer; throws the writer's error if a write has failed.
    func put(_ rows: DumpRows, staged: HDF5RowBatch?, at start: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while (busy || pending != nil) && failure == nil { condition.wait() }
        if let failure { throw failure }
        pending = (rows, staged, start)
        condition.broadcast()
    }

    /// The next batch to store, or nil once the producer is done (or a write failed).
    func next() -> (rows: DumpRows, staged: HDF5RowBatch?, start: Int)? {
        condition.lock()
        defer { condition.unlock() }
        while pending == nil && !closed { condition.wait() }
        guard let item = pending, failure == nil else { return nil }
        pending = nil
        busy = true
        return item
    }

    /// The batch taken by `next` is on disk.
    func stored() {
        condition.lock()
        busy = false
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: Error) {
        condition.lock()
        failure = error
        busy = false
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// No more batches: the writer stores what is pending, then stops.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
