import CHDF5

/// Owns one HDF5 identifier and closes it when the last reference goes away.
final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.close = close
    }

    deinit {
        // A file closed with H5F_CLOSE_STRONG has already closed this id; the failed close is harmless.
        if H5Iis_valid(id) > 0 { _ = close(id) } else { H5Eclear2(chdf5_E_DEFAULT()) }
    }

    static func dataspace(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Sclose) }
    static func datatype(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Tclose) }
    static func property(_ id: hid_t) -> HDF5Handle { HDF5Handle(id, close: H5Pclose) }
}
