import CHDF5
import Foundation

/// An open HDF5 file; its root group is the file itself.
///
/// Files Loupe writes are created with `HDF5File.writeAtomically`, which builds the file under a
/// temporary name in the same folder and renames it only once it is complete and flushed.
public final class HDF5File: HDF5Container {
    let handle: HDF5Handle
    public let location: HDF5Location
    public var objectID: hid_t { handle.id }
    public var fileHandle: HDF5Handle { handle }
    public var path: String { location.file }

    private init(id: hid_t, path: String, guarded: Bool = false) {
        handle = HDF5Handle(id, guarding: guarded ? path : nil, close: H5Fclose)
        location = HDF5Location(file: path, object: "/")
    }

    /// Opens an existing file, read-only unless `writable`.
    /// - Throws: `.fileNotFound`, `.notHDF5` (not an HDF5 file at all), `.truncated` (an HDF5 signature
    ///   but the file cannot be opened: cut short or damaged) or `.locked` (another program's lock stayed
    ///   for `lockPatience`).
    public static func open(_ path: String, writable: Bool = false, lockPatience: UInt32 = defaultLockPatience) throws -> HDF5File {
        HDF5Library.start()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HDF5Error(.fileNotFound, file: path, object: "/", message: "no such file")
        }
        if isDirectory.boolValue {
            throw HDF5Error(.notHDF5, file: path, object: "/", message: "is a directory, not an HDF5 file")
        }
        if H5Fis_hdf5(path) <= 0 {
            H5Eclear2(chdf5_E_DEFAULT())
            throw HDF5Error(.notHDF5, file: path, object: "/", message: "not an HDF5 file (no HDF5 signature)")
        }
        let here = HDF5Location(file: path, object: "/")
        let fapl = HDF5Handle.property(try check(H5Pcreate(chdf5_P_FILE_ACCESS()), "H5Pcreate", at: here))
        try check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), "H5Pset_fclose_degree", at: here)
        // A lock refused now may be gone in a moment: a program spawned by this one (or by anyone who had
        // the file open) holds a copy of the descriptor until its exec closes it, and Foundation's Process
        // closes descriptors one by one up to the limit, which takes long enough to meet. So a refused lock
        // is tried again for a while before it is reported.
        var delay: UInt32 = 5_000
        var waited: UInt32 = 0
        while true {
            // Files opened for reading may come from anyone: a libhdf5 crash on them becomes a one-line error.
            if !writable { HDF5CrashGuard.enter(path) }
            let id = H5Fopen(path, writable ? chdf5_F_ACC_RDWR() : chdf5_F_ACC_RDONLY(), fapl.id)
            if id >= 0 { return HDF5File(id: id, path: path, guarded: !writable) }
            let message = HDF5Library.lastMessage()
            if !writable { HDF5CrashGuard.leave(path) }
            guard isLockRefusal(message) else {
                throw HDF5Error(.truncated, file: path, object: "/",
                                message: "HDF5 signature found but the file cannot be opened (truncated or damaged): \(message)")
            }
            if waited >= lockPatience {
                throw HDF5Error(.locked, file: path, object: "/", message: """
                    another program holds a lock on this file (it has it open\(writable ? "" : " for writing")); \
                    close it there and run again, or set HDF5_USE_FILE_LOCKING=FALSE where the file system's \
                    locks do not work (libhdf5: \(message))
                    """)
            }
            usleep(delay)
            waited += delay
            delay = min(delay * 2, 500_000)
        }
    }

    /// How long `open` waits for another holder's lock to go, in microseconds.
    public static let defaultLockPatience: UInt32 = 5_000_000

    /// Whether libhdf5's message is its file lock being refused (flock's EWOULDBLOCK), not damage.
    static func isLockRefusal(_ message: String) -> Bool {
        message.contains("_lock()") || message.contains("unable to lock file")
            || message.contains("errno = 11") || message.contains("errno 11")
    }

    /// Creates (truncating) a file at `path` directly. Prefer `writeAtomically` for anything a reader
    /// might see half-written.
    public static func create(_ path: String) throws -> HDF5File {
        HDF5Library.start()
        let here = HDF5Location(file: path, object: "/")
        let fapl = HDF5Handle.property(try check(H5Pcreate(chdf5_P_FILE_ACCESS()), "H5Pcreate", at: here))
        try check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), "H5Pset_fclose_degree", at: here)
        let id = try check(H5Fcreate(path, chdf5_F_ACC_TRUNC(), chdf5_P_DEFAULT(), fapl.id), "H5Fcreate",
                           at: HDF5Location(file: path, object: "/"))
        return HDF5File(id: id, path: path)
    }

    /// Closes the file and every object still open in it; later use of those objects fails cleanly.
    public func close() { handle.close() }

    /// Flushes everything buffered to the operating system.
    public func flush() throws {
        try check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "H5Fflush", at: location)
    }

    /// Asks the operating system to start writing what has reached this file so far to disk, without
    /// waiting (Linux `sync_file_range`; nothing elsewhere). A writer that calls this as it goes overlaps
    /// the disk writes with its own work, and the `fsync` of `writeAtomically` then has little left to wait
    /// for. Advisory: the kernel's answer is not an error; HDF5's own buffers are not flushed.
    public func startWriteback() throws {
        HDF5Library.start()
        var vfd: UnsafeMutableRawPointer?
        try check(H5Fget_vfd_handle(handle.id, chdf5_P_DEFAULT(), &vfd), "H5Fget_vfd_handle", at: location)
        guard let fd = vfd?.assumingMemoryBound(to: Int32.self).pointee else { return }
        _ = chdf5_start_writeback(fd)
    }

    /// Writes a file crash-safe: `body` fills a file under a temporary name in the same folder; on
    /// success it is flushed, closed, synced and renamed to `path`. On failure the temporary is removed
    /// and any earlier file at `path` is left as it was.
    @discardableResult
    public static func writeAtomically<R>(_ path: String, _ body: (HDF5File) throws -> R) throws -> R {
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File.create(temporary)
            let result: R
            do {
                result = try body(file)
                try file.flush()
                file.close()
            } catch {
                file.close()
                // The error may name the temporary; readers care about the final name.
                if var e = error as? HDF5Error, e.file == temporary { e.file = path; throw e }
                throw error
            }
            return result
        }
    }
}
