import CHDF5

/// Owns one HDF5 identifier and closes it when the last reference goes away.
/// Opaque to users of LoupeCore: only the HDF5 layer reads the id.
public final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let closer: (hid_t) -> herr_t
    /// Keeps what this object lives in (its file) open while the object is in use.
    let parent: HDF5Handle?
    private var closed = false

    init(_ id: hid_t, parent: HDF5Handle? = nil, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.parent = parent
        self.closer = close
    }

    /// Closes now (idempotent). A file opened with H5F_CLOSE_STRONG closes its open objects too.
    func close() {
        guard !closed else { return }
        closed = true
        if H5Iis_valid(id) > 0 { _ = closer(id) } else { H5Eclear2(chdf5_E_DEFAULT()) }
    }

    deinit { close() }

    static func dataspace(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Sclose) }
    static func datatype(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Tclose) }
    static func property(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Pclose) }
}
