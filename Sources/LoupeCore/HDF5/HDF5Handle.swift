import CHDF5

/// Owns one HDF5 identifier and closes it when the last reference goes away.
/// Opaque to users of LoupeCore: only the HDF5 layer reads the id.
public final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let closer: (hid_t) -> herr_t
    /// Keeps what this object lives in (its file) open while the object is in use.
    let parent: HDF5Handle?
    private var closed = false
    /// A file opened for reading: HDF5CrashGuard stays armed with its path until it is closed.
    private let guarded: String?

    init(_ id: hid_t, parent: HDF5Handle? = nil, guarding path: String? = nil, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.parent = parent
        self.closer = close
        guarded = path
    }

    /// Closes now (idempotent). A file opened with H5F_CLOSE_STRONG closes its open objects too.
    func close() {
        guard !closed else { return }
        closed = true
        if H5Iis_valid(id) > 0 { _ = closer(id) } else { H5Eclear2(chdf5_E_DEFAULT()) }
        // After the close: libhdf5 1.10.8 frees a corrupt file's cached metadata there, and that is where it crashes.
        if let guarded { HDF5CrashGuard.leave(guarded) }
    }

    deinit { close() }

    static func dataspace(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Sclose) }
    static func datatype(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Tclose) }
    static func property(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Pclose) }
}
