import CHDF5
import Glibc

/// Writes staged rows of a file's preallocated contiguous datasets straight to the device, past HDF5 and the
/// page cache.
///
/// Why: a dump writes about 10 MB a batch while two threads compute the next one on a two-core machine. Written
/// buffered, each batch cost the writer 4-5 ms of kernel CPU (page-cache copies, ext4's delayed-allocation
/// bookkeeping, writeback), and every millisecond it takes from a computing core stalls both (they meet at
/// barriers). With `O_DIRECT` the device reads the rows from this process's memory (`dd` of 100 MB here: no
/// measurable CPU that way, 20 ms buffered plus 20 ms of writeback).
///
/// Which bytes go which way: the whole 4 KB blocks inside a piece through an `O_DIRECT` descriptor, the partial
/// blocks at either end (shared with the neighbouring rows or with other objects) through an ordinary one, so
/// that no byte outside the rows is touched and page cache and device never hold different versions of one
/// block. HDF5 never writes a preallocated dataset's space (allocated at creation, fill time never), and the
/// file's metadata (which says where that space is) is HDF5's as usual: the file is the one `H5Dwrite` makes.
///
/// On a file system without direct I/O (tmpfs before Linux 6.6, some network file systems) every byte goes
/// through the ordinary descriptor: same file, slower. Used by one thread at a time.
public final class HDF5RowStream {
    private let location: HDF5Location
    private var buffered: Int32 = -1
    private var direct: Int32 = -1
    /// Direct I/O's unit: offsets, lengths and memory addresses are multiples of it. 4 KB covers 512-byte
    /// devices too.
    static let block = 4096

    /// Opens `file`'s path a second time for writing (the file stays open in HDF5); `direct: false` writes
    /// everything through the page cache.
    public init(file: HDF5File, direct: Bool = true) throws {
        location = file.location
        buffered = open(file.path, O_WRONLY | O_CLOEXEC)
        guard buffered >= 0 else { throw ioError("open", errno) }
        self.direct = direct ? chdf5_open_direct(file.path) : -1
        isDirect = self.direct >= 0
    }

    deinit {
        if buffered >= 0 { Glibc.close(buffered) }
        if direct >= 0 { Glibc.close(direct) }
    }

    /// Whether whole blocks still go to the device directly: false on a file system without direct I/O, and
    /// once one has refused a write (everything then goes through `buffered`).
    public private(set) var isDirect = false

    /// Whether files in `folder` take direct I/O: one block-aligned 4 KB write to a scratch file there, removed
    /// again. Some file systems open with `O_DIRECT` and refuse the write; this tells them apart.
    public static func directIOWorks(in folder: String) -> Bool {
        let path = folder + "/.loupe-direct-probe-\(getpid())"
        let created = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard created >= 0 else { return false }
        Glibc.close(created)
        defer { unlink(path) }
        let fd = chdf5_open_direct(path)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, block, block) == 0, let memory else { return false }
        defer { free(memory) }
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: block)
        return pwrite(fd, memory, block, 0) == block
    }

    /// Writes every piece of `batch` to its place in the file: whole blocks directly, the partial blocks at
    /// either end of a piece buffered.
    ///
    /// One write at a time, each waited for. Submitting a batch's writes together (Linux native AIO, into space
    /// allocated ahead with `fallocate`) halved the writer's CPU but made LittleConv's dump / compute 1.38
    /// against 1.19: the completions then run in interrupt and worker context on the computing cores.
    public func write(_ batch: HDF5RowBatch) throws {
        for (index, piece) in batch.pieces.enumerated() where piece.bytes > 0 {
            try put(batch.bytes(of: index), bytes: piece.bytes, at: piece.offset, piece.dataset)
        }
    }

    /// Writes `bytes` from `source` to file offset `offset`, where `source` sits at `offset` modulo the block
    /// from a block boundary.
    private func put(_ source: UnsafeMutableRawPointer, bytes: Int, at offset: Int, _ dataset: HDF5Dataset) throws {
        let end = offset + bytes
        let first = (offset + Self.block - 1) / Self.block * Self.block, last = end / Self.block * Self.block
        guard isDirect, first < last else {
            return try write(buffered, source, bytes, at: offset, dataset)
        }
        if first > offset { try write(buffered, source, first - offset, at: offset, dataset) }
        if end > last { try write(buffered, source + (last - offset), end - last, at: last, dataset) }
        let middle = source + (first - offset)
        let written = try writeDirect(middle, last - first, at: first, dataset)
        if written < last - first { try write(buffered, middle + written, last - first - written, at: first + written, dataset) }
    }

    /// Writes as much as the device takes directly; returns how many bytes that was. Zero, and direct I/O off
    /// for the rest of the stream, where the file system opened the file with `O_DIRECT` but refuses the write.
    private func writeDirect(_ from: UnsafeMutableRawPointer, _ count: Int, at offset: Int, _ dataset: HDF5Dataset) throws -> Int {
        while true {
            let n = pwrite(direct, from, count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EINVAL { isDirect = false; return 0 }
            throw ioError("write", errno, object: dataset.path)
        }
    }

    private func write(_ fd: Int32, _ from: UnsafeMutableRawPointer, _ count: Int, at offset: Int, _ dataset: HDF5Dataset) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, from + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", errno, object: dataset.path)
            }
            if n == 0 { throw ioError("write", EIO, object: dataset.path) }
            done += n
        }
    }

    private func ioError(_ what: String, _ code: Int32, object: String? = nil) -> HDF5Error {
        HDF5Error(.libraryCall, file: location.file, object: object ?? location.object,
                  message: "\(what) failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}
