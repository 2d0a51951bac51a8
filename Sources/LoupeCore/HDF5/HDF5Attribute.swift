import Foundation
import CHDF5

/// An attribute value of a kind both Loupe and h5py read without surprises.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case int(Int64)
    case ints([Int64])
    case double(Double)
    case doubles([Double])

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .strings(let s): return "[" + s.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .int(let v): return String(v)
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .double(let v): return String(v)
        case .doubles(let v): return "[" + v.map { String($0) }.joined(separator: ", ") + "]"
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let v): return Int(v)
        case .double(let v) where v.rounded() == v: return Int(exactly: v)  // nil beyond Int's range, never a trap
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    public var doublesValue: [Double]? {
        switch self {
        case .doubles(let v): return v
        case .ints(let v): return v.map(Double.init)
        case .double(let v): return [v]
        case .int(let v): return [Double(v)]
        default: return nil
        }
    }
    public var stringsValue: [String]? {
        switch self {
        case .strings(let s): return s
        case .string(let s): return [s]
        default: return nil
        }
    }
}

/// Something that carries attributes: a file's root, a group or a dataset.
public protocol HDF5Attributed {
    var location: HDF5Location { get }
    var objectID: hid_t { get }
    /// The handle children must keep alive: the file's.
    var fileHandle: HDF5Handle { get }
}

extension HDF5Attributed {
    /// Writes (or replaces) one attribute. Strings are variable-length UTF-8, as h5py writes them.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        HDF5Library.start()
        let at = HDF5Location(file: location.file, object: location.object + "@" + name)
        if H5Aexists(objectID, name) > 0 { try check(H5Adelete(objectID, name), "H5Adelete", at: at) }
        let count: Int?
        let type: HDF5ElementType
        switch value {
        case .string: (count, type) = (nil, .string)
        case .strings(let s): (count, type) = (s.count, .string)
        case .int: (count, type) = (nil, .int64)
        case .ints(let v): (count, type) = (v.count, .int64)
        case .double: (count, type) = (nil, .float64)
        case .doubles(let v): (count, type) = (v.count, .float64)
        }
        let space = HDF5Handle.dataspace(try check(
            count.map { var d = [hsize_t(max($0, 0))]; return H5Screate_simple(1, &d, nil) } ?? H5Screate(H5S_SCALAR),
            "H5Screate", at: at))
        let memType = HDF5Handle.datatype(try check(type.makeMemoryType(), "H5Tcopy", at: at))
        let attr = HDF5Handle(try check(H5Acreate2(objectID, name, memType.id, space.id, chdf5_P_DEFAULT(), chdf5_P_DEFAULT()),
                                        "H5Acreate2", at: at), close: H5Aclose)
        let status: herr_t
        switch value {
        case .string(let s): status = withCStringPointers([s]) { H5Awrite(attr.id, memType.id, $0) }
        case .strings(let s): status = withCStringPointers(s) { H5Awrite(attr.id, memType.id, $0) }
        case .int(let v): var x = v; status = H5Awrite(attr.id, memType.id, &x)
        case .ints(let v): status = v.withUnsafeBytes { H5Awrite(attr.id, memType.id, $0.baseAddress) }
        case .double(let v): var x = v; status = H5Awrite(attr.id, memType.id, &x)
        case .doubles(let v): status = v.withUnsafeBytes { H5Awrite(attr.id, memType.id, $0.baseAddress) }
        }
        try check(status, "H5Awrite", at: at)
    }

    public func setAttribute(_ name: String, _ value: String) throws { try setAttribute(name, .string(value)) }
    public func setAttribute(_ name: String, _ value: Int) throws { try setAttribute(name, .int(Int64(value))) }
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, .double(value)) }

    /// Names of this object's attributes, in creation order where HDF5 keeps it, else by name.
    public func attributeNames() throws -> [String] {
        var info = H5O_info_t()
        try check(H5Oget_info2(objectID, &info, UInt32(H5O_INFO_NUM_ATTRS)), "H5Oget_info", at: location)
        var names: [String] = []
        for i in 0..<Int(info.num_attrs) {
            let length = H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(i), nil, 0, chdf5_P_DEFAULT())
            try check(length, "H5Aget_name_by_idx", at: location)
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try check(H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(i), &buffer, buffer.count, chdf5_P_DEFAULT()),
                      "H5Aget_name_by_idx", at: location)
            names.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return names
    }

    public func hasAttribute(_ name: String) -> Bool { H5Aexists(objectID, name) > 0 }

    /// Reads one attribute, or nil when it is absent.
    public func attribute(_ name: String) throws -> HDF5AttributeValue? {
        HDF5Library.start()
        guard H5Aexists(objectID, name) > 0 else { return nil }
        let at = HDF5Location(file: location.file, object: location.object + "@" + name)
        let attr = HDF5Handle(try check(H5Aopen(objectID, name, chdf5_P_DEFAULT()), "H5Aopen", at: at), close: H5Aclose)
        let fileType = HDF5Handle.datatype(try check(H5Aget_type(attr.id), "H5Aget_type", at: at))
        let space = HDF5Handle.dataspace(try check(H5Aget_space(attr.id), "H5Aget_space", at: at))
        let scalar = H5Sget_simple_extent_type(space.id) == H5S_SCALAR
        let points = try check(H5Sget_simple_extent_npoints(space.id), "H5Sget_simple_extent_npoints", at: at)
        // An attribute's size comes from the file: checked like a dataset's before anything is allocated.
        let count = try InputLimits.elementCount([Int(points)], elementSize: 8, path: at.file, object: "attribute '\(name)'")
        guard !scalar || count == 1 else {
            throw HDF5Error(.wrongShape, file: at.file, object: at.object, message: "scalar attribute with \(count) values")
        }
        guard let kind = HDF5ElementType.classify(fileType.id) else {
            throw HDF5Error(.wrongType, file: at.file, object: at.object, message: "attribute has a datatype Loupe does not read")
        }
        switch kind {
        case .string:
            let strings = try readStrings(count: count, fileType: fileType.id, at: at) { H5Aread(attr.id, $0, $1) }
            return scalar ? .string(strings.first ?? "") : .strings(strings)
        case .float16, .float32, .float64:
            var values = [Double](repeating: 0, count: count)
            try check(values.withUnsafeMutableBytes { H5Aread(attr.id, chdf5_T_NATIVE_DOUBLE(), $0.baseAddress) }, "H5Aread", at: at)
            return scalar ? .double(values[0]) : .doubles(values)
        default:
            var values = [Int64](repeating: 0, count: count)
            try check(values.withUnsafeMutableBytes { H5Aread(attr.id, chdf5_T_NATIVE_INT64(), $0.baseAddress) }, "H5Aread", at: at)
            return scalar ? .int(values[0]) : .ints(values)
        }
    }

    /// A required string attribute; throws naming the attribute when it is missing or not a string.
    public func stringAttribute(_ name: String) throws -> String {
        guard let value = try attribute(name) else {
            throw HDF5Error(.missingObject, file: location.file, object: location.object + "@" + name, message: "attribute '\(name)' is missing")
        }
        guard case .string(let s) = value else {
            throw HDF5Error(.wrongType, file: location.file, object: location.object + "@" + name, message: "attribute '\(name)' is not a string")
        }
        return s
    }
}

/// Calls `body` with a C array of pointers to NUL-terminated UTF-8 copies of `strings`.
func withCStringPointers<R>(_ strings: [String], _ body: (UnsafeMutableRawPointer) -> R) -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafeMutablePointer<CChar>?] = copies
    if pointers.isEmpty { pointers = [nil] }
    return pointers.withUnsafeMutableBytes { body($0.baseAddress!) }
}

/// Reads `count` strings, fixed-length or variable-length, converting to Swift strings.
func readStrings(count: Int, fileType: hid_t, at: HDF5Location, read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
    // A pointer and a Swift string per value: checked against the read cap before either array exists.
    _ = try InputLimits.elementCount([max(count, 1)], elementSize: 24, path: at.file, object: at.object)
    let cset = H5Tget_cset(fileType)
    if H5Tis_variable_str(fileType) > 0 {
        let memType = HDF5Handle.datatype(try check(H5Tcopy(chdf5_T_C_S1()), "H5Tcopy", at: at))
        try check(H5Tset_size(memType.id, chdf5_T_VARIABLE()), "H5Tset_size", at: at)
        try check(H5Tset_cset(memType.id, cset), "H5Tset_cset", at: at)  // HDF5 will not convert between ASCII and UTF-8
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(count, 1))
        try HDF5CrashGuard.watching(at, strings: count) {
            try check(pointers.withUnsafeMutableBytes { read(memType.id, $0.baseAddress!) }, "read strings", at: at)
        }
        defer { for p in pointers where p != nil { H5free_memory(p) } }
        return pointers.prefix(count).map { $0.map { String(cString: $0) } ?? "" }
    }
    let size = H5Tget_size(fileType)
    guard size > 0, size <= Int.max else { throw HDF5Error(.wrongType, file: at.file, object: at.object, message: "string type of size \(size)") }
    let memType = HDF5Handle.datatype(try check(H5Tcopy(chdf5_T_C_S1()), "H5Tcopy", at: at))
    try check(H5Tset_size(memType.id, size), "H5Tset_size", at: at)
    try check(H5Tset_cset(memType.id, cset), "H5Tset_cset", at: at)
    let pad = H5Tget_strpad(fileType)
    _ = try check(pad.rawValue, "H5Tget_strpad", at: at)
    try check(H5Tset_strpad(memType.id, pad), "H5Tset_strpad", at: at)
    let byteCount: Int
    switch InputLimits.checkedCount([Int(size), max(count, 1)]) {
    case .success(let n): byteCount = n
    case .failure(let problem):
        throw HDF5Error(.wrongShape, file: at.file, object: at.object, message: InputLimits.describe(problem, shape: [max(count, 1), Int(size)]))
    }
    var bytes = [UInt8](repeating: 0, count: byteCount)
    try check(bytes.withUnsafeMutableBytes { read(memType.id, $0.baseAddress!) }, "read strings", at: at)
    return (0..<count).map { i in
        let slice = bytes[(i * size)..<((i + 1) * size)]
        let trimmed = slice.prefix { $0 != 0 }
        return String(decoding: trimmed, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}
