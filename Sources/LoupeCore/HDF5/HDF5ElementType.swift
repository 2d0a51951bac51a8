import CHDF5

/// The element types Loupe stores, named as h5py/numpy name them.
public enum HDF5ElementType: String, Sendable, CaseIterable, Codable {
    case float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, string

    /// Bytes per element in memory (strings: one pointer).
    public var size: Int {
        switch self {
        case .int8, .uint8: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64, .string: 8
        }
    }

    /// A new datatype id for this element in native memory layout; the caller closes it.
    func makeMemoryType() -> hid_t {
        switch self {
        case .float16: return chdf5_make_f16()
        case .float32: return H5Tcopy(chdf5_T_NATIVE_FLOAT())
        case .float64: return H5Tcopy(chdf5_T_NATIVE_DOUBLE())
        case .int8: return H5Tcopy(chdf5_T_NATIVE_INT8())
        case .int16: return H5Tcopy(chdf5_T_NATIVE_INT16())
        case .int32: return H5Tcopy(chdf5_T_NATIVE_INT32())
        case .int64: return H5Tcopy(chdf5_T_NATIVE_INT64())
        case .uint8: return H5Tcopy(chdf5_T_NATIVE_UINT8())
        case .uint16: return H5Tcopy(chdf5_T_NATIVE_UINT16())
        case .uint32: return H5Tcopy(chdf5_T_NATIVE_UINT32())
        case .uint64: return H5Tcopy(chdf5_T_NATIVE_UINT64())
        case .string:
            // A negative id on failure, so the caller's `check` reports it with HDF5's message.
            let t = H5Tcopy(chdf5_T_C_S1())
            guard t >= 0 else { return t }
            guard H5Tset_size(t, chdf5_T_VARIABLE()) >= 0, H5Tset_cset(t, H5T_CSET_UTF8) >= 0 else {
                H5Tclose(t)
                return -1
            }
            return t
        }
    }

    /// Classifies a file datatype; nil for kinds Loupe does not read (compound, enum, …).
    static func classify(_ type: hid_t) -> HDF5ElementType? {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size { case 2: return .float16; case 4: return .float32; case 8: return .float64; default: return nil }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (1, false): return .uint8
            case (2, true): return .int16
            case (2, false): return .uint16
            case (4, true): return .int32
            case (4, false): return .uint32
            case (8, true): return .int64
            case (8, false): return .uint64
            default: return nil
            }
        case H5T_STRING: return .string
        default: return nil
        }
    }
}

/// A Swift scalar that maps onto one HDF5 element type.
public protocol HDF5Scalar {
    static var hdf5Type: HDF5ElementType { get }
    init()
}

extension Float: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .float32 } }
extension Double: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .float64 } }
extension Int8: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int8 } }
extension Int16: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int16 } }
extension Int32: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int32 } }
extension Int64: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int64 } }
extension UInt8: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint16 } }
extension UInt32: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint32 } }
extension UInt64: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint64 } }
#if !(os(macOS) && arch(x86_64))
extension Float16: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .float16 } }
#endif
