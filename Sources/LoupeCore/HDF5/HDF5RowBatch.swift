import Glibc

/// One batch of rows for several preallocated datasets, laid out in memory the way `HDF5RowStream` hands it to
/// the device: each piece in block-aligned memory at the same offset modulo the block as its place in the file.
///
/// Built in two phases: `add` every piece (this sizes the memory), then `fill` them, from any number of threads
/// at once as long as no two fill the same elements. The float16 conversion then runs where the caller
/// chooses: a dump fills on its two computing threads between batches, rather than on its writer thread,
/// which would take a core from the computation while it runs. Reusable: `removeAll` keeps the memory.
public final class HDF5RowBatch: @unchecked Sendable {
    /// Where one piece's rows go in the file and where they sit in `memory`.
    public struct Piece {
        public let dataset: HDF5Dataset
        /// Byte offset of the rows in the file.
        let offset: Int
        let bytes: Int
        /// Byte offset of the rows in `memory`; equal to `offset` modulo the block.
        let slot: Int
        public var elementType: HDF5ElementType { dataset.elementType }
        /// Elements in the piece.
        public var count: Int { bytes / dataset.elementType.size }
    }

    public private(set) var pieces: [Piece] = []
    private(set) var memory: UnsafeMutableRawPointer?
    private var capacity = 0
    private var used = 0

    public init() {}

    deinit { free(memory) }

    /// Reserves room for `rows` rows of `dataset` from row `start`; returns the piece's index.
    /// - Throws: when `dataset` cannot be written past HDF5 (not preallocated, contiguous, unfiltered and stored
    ///   in Loupe's memory layout), or the rows lie outside it.
    public func add(_ dataset: HDF5Dataset, start: Int, rows: Int) throws -> Int {
        guard let base = dataset.streamOffset else {
            throw HDF5Error(.wrongType, file: dataset.location.file, object: dataset.path,
                            message: "dataset is not a preallocated contiguous dataset; write it with writeRows")
        }
        guard !dataset.shape.isEmpty, start >= 0, rows >= 0, start + rows <= dataset.shape[0] else {
            throw HDF5Error(.wrongShape, file: dataset.location.file, object: dataset.path,
                            message: "rows \(start)..<\(start + rows) are outside 0..<\(dataset.shape.first ?? 0)")
        }
        let rowBytes = dataset.shape.dropFirst().reduce(1, *) * dataset.elementType.size
        let offset = base + start * rowBytes, bytes = rows * rowBytes
        let block = HDF5RowStream.block
        let slot = (used + block - 1) / block * block + offset % block
        try reserve(slot + bytes, for: dataset)
        used = slot + bytes
        pieces.append(Piece(dataset: dataset, offset: offset, bytes: bytes, slot: slot))
        return pieces.count - 1
    }

    /// Forgets the pieces and keeps the memory for the next batch.
    public func removeAll() {
        pieces.removeAll(keepingCapacity: true)
        used = 0
    }

    /// Fills elements `range` of piece `index` from float32 `source` (element 0 of the range at `source[0]`),
    /// converting to float16 for a float16 dataset.
    public func fill(_ index: Int, elements range: Range<Int>, from source: UnsafePointer<Float>) {
        let piece = pieces[index]
        precondition(range.lowerBound >= 0 && range.upperBound <= piece.count, "elements outside the piece")
        let start = memory! + piece.slot
        switch piece.elementType {
        case .float16:
            HalfConversion.half(source, into: (start + 2 * range.lowerBound).assumingMemoryBound(to: UInt16.self), count: range.count)
        case .float32:
            (start + 4 * range.lowerBound).copyMemory(from: source, byteCount: 4 * range.count)
        default:
            preconditionFailure("float32 rows into a \(piece.elementType) dataset")
        }
    }

    /// Fills piece `index` with raw bytes in the file's layout (uint8 pixels, say).
    public func fill(_ index: Int, bytes: UnsafeRawBufferPointer) {
        let piece = pieces[index]
        precondition(bytes.count == piece.bytes, "\(bytes.count) bytes for a piece of \(piece.bytes)")
        if bytes.count > 0 { (memory! + piece.slot).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// Piece `index`'s bytes as laid out for the device.
    func bytes(of index: Int) -> UnsafeMutableRawPointer { memory! + pieces[index].slot }

    private func reserve(_ bytes: Int, for dataset: HDF5Dataset) throws {
        guard bytes > capacity else { return }
        let block = HDF5RowStream.block
        let size = max(bytes, capacity * 3 / 2 + block) / block * block + block
        var fresh: UnsafeMutableRawPointer?
        guard posix_memalign(&fresh, block, size) == 0, let fresh else {
            throw HDF5Error(.libraryCall, file: dataset.location.file, object: dataset.path,
                            message: "cannot allocate \(size) bytes to stage a batch of rows")
        }
        if let memory, used > 0 { fresh.copyMemory(from: memory, byteCount: used) }
        free(memory)
        memory = fresh
        capacity = size
    }
}
