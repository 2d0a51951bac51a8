import CHDF5

/// How a dataset's chunks are filtered on disk.
public enum HDF5Compression: Equatable, Sendable, CustomStringConvertible {
    case none
    /// zlib at `level` (1–9), after the byte-shuffle filter when `shuffle` is set.
    case deflate(level: Int, shuffle: Bool)

    public var description: String {
        switch self {
        case .none: "none"
        case .deflate(let level, let shuffle): shuffle ? "shuffle+deflate\(level)" : "deflate\(level)"
        }
    }

    /// Parses `none`, `deflate`, `deflate4`, `deflate:4`, with shuffle on by default.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "none" { self = .none; return }
        guard t.hasPrefix("deflate") else { return nil }
        let rest = t.dropFirst("deflate".count).drop { $0 == ":" || $0 == "=" }
        if rest.isEmpty { self = .deflate(level: 4, shuffle: true); return }
        guard let level = Int(rest), (1...9).contains(level) else { return nil }
        self = .deflate(level: level, shuffle: true)
    }
}

/// A group-like object: the root of a file or a group inside it.
public protocol HDF5Container: HDF5Attributed {}

extension HDF5Container {
    func childPath(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        return location.object == "/" ? "/" + name : location.object + "/" + name
    }

    func childLocation(_ name: String) -> HDF5Location { HDF5Location(file: location.file, object: childPath(name)) }

    /// True when `path` (relative, may contain slashes) names an existing link.
    public func contains(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += (prefix.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
            if H5Lexists(objectID, prefix, chdf5_P_DEFAULT()) <= 0 { return false }
        }
        return !prefix.isEmpty
    }

    /// Opens or creates the group at `path`, creating missing parents.
    @discardableResult
    public func group(_ path: String, create: Bool = false) throws -> HDF5Group {
        HDF5Library.start()
        let at = childLocation(path)
        if contains(path) {
            let id = try check(H5Gopen2(objectID, path, chdf5_P_DEFAULT()), "H5Gopen2", at: at)
            return HDF5Group(handle: HDF5Handle(id, parent: fileHandle, close: H5Gclose), location: at)
        }
        guard create else {
            throw HDF5Error(.missingObject, file: at.file, object: at.object, message: "no group '\(at.object)'")
        }
        let lcpl = HDF5Handle.property(try check(H5Pcreate(chdf5_P_LINK_CREATE()), "H5Pcreate", at: at))
        try check(H5Pset_create_intermediate_group(lcpl.id, 1), "H5Pset_create_intermediate_group", at: at)
        let id = try check(H5Gcreate2(objectID, path, lcpl.id, chdf5_P_DEFAULT(), chdf5_P_DEFAULT()), "H5Gcreate2", at: at)
        return HDF5Group(handle: HDF5Handle(id, parent: fileHandle, close: H5Gclose), location: at)
    }

    /// Opens the dataset at `path`; a missing one is a `.missingObject` error naming it.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        HDF5Library.start()
        let at = childLocation(path)
        guard contains(path) else {
            throw HDF5Error(.missingObject, file: at.file, object: at.object, message: "no dataset '\(at.object)'")
        }
        let id = try check(H5Dopen2(objectID, path, chdf5_P_DEFAULT()), "H5Dopen2", at: at, kind: .wrongType)
        return try HDF5Dataset(handle: HDF5Handle(id, parent: fileHandle, close: H5Dclose), location: at)
    }

    /// Creates a dataset of `shape`, chunked and filtered as asked. Parent groups are created.
    /// - Parameter chunk: chunk shape; required for compression, defaulted to one row along dim 0 then.
    /// - Parameter preallocated: for a contiguous dataset, allocate its space now and never fill it, so that
    ///   `HDF5RowStream` can write its rows at a known offset. The writer must then write every row.
    public func createDataset(_ path: String, type: HDF5ElementType, shape: [Int], chunk: [Int]? = nil,
                              compression: HDF5Compression = .none, preallocated: Bool = false) throws -> HDF5Dataset {
        HDF5Library.start()
        let at = childLocation(path)
        var dims = shape.map { hsize_t($0) }
        let space = HDF5Handle.dataspace(try check(
            shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), &dims, nil), "H5Screate_simple", at: at))
        let dcpl = HDF5Handle.property(H5Pcreate(chdf5_P_DATASET_CREATE()))
        var chunkShape = chunk
        if chunkShape == nil, compression != .none, !shape.isEmpty { chunkShape = [1] + shape.dropFirst() }
        if var c = chunkShape, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
            precondition(c.count == shape.count, "chunk rank must equal dataset rank")
            c = zip(c, shape).map { max(1, min($0, $1)) }
            var cdims = c.map { hsize_t($0) }
            try check(H5Pset_chunk(dcpl.id, Int32(c.count), &cdims), "H5Pset_chunk", at: at)
            if case .deflate(let level, let shuffle) = compression {
                if shuffle { try check(H5Pset_shuffle(dcpl.id), "H5Pset_shuffle", at: at) }
                try check(H5Pset_deflate(dcpl.id, UInt32(level)), "H5Pset_deflate", at: at)
            }
        }
        if preallocated && chunkShape == nil {
            try check(chdf5_set_preallocated(dcpl.id), "H5Pset_alloc_time", at: at)
        }
        let fileType = HDF5Handle.datatype(try check(type.makeMemoryType(), "H5Tcopy", at: at))
        let lcpl = HDF5Handle.property(try check(H5Pcreate(chdf5_P_LINK_CREATE()), "H5Pcreate", at: at))
        try check(H5Pset_create_intermediate_group(lcpl.id, 1), "H5Pset_create_intermediate_group", at: at)
        let id = try check(H5Dcreate2(objectID, path, fileType.id, space.id, lcpl.id, dcpl.id, chdf5_P_DEFAULT()), "H5Dcreate2", at: at)
        return try HDF5Dataset(handle: HDF5Handle(id, parent: fileHandle, close: H5Dclose), location: at)
    }

    /// Creates and fills a dataset in one call.
    @discardableResult
    public func write<T: HDF5Scalar>(_ path: String, _ values: [T], shape: [Int]? = nil, storeAs: HDF5ElementType? = nil,
                                     chunk: [Int]? = nil, compression: HDF5Compression = .none) throws -> HDF5Dataset {
        let shape = shape ?? [values.count]
        let d = try createDataset(path, type: storeAs ?? T.hdf5Type, shape: shape, chunk: chunk, compression: compression)
        try d.write(values)
        return d
    }

    /// Creates a 1-D variable-length UTF-8 string dataset.
    @discardableResult
    public func write(_ path: String, strings: [String]) throws -> HDF5Dataset {
        let d = try createDataset(path, type: .string, shape: [strings.count])
        try d.write(strings: strings)
        return d
    }

    /// Reads a whole numeric dataset.
    public func read<T: HDF5Scalar>(_ path: String, as: T.Type = T.self) throws -> [T] {
        try dataset(path).read(as: T.self)
    }

    /// Names of direct children (groups and datasets), sorted by name.
    public func childNames() throws -> [String] {
        let box = NameList()
        var index: hsize_t = 0
        let status = H5Literate(objectID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
            let box = Unmanaged<NameList>.fromOpaque(data!).takeUnretainedValue()
            box.names.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        try check(status, "H5Literate", at: location)
        return box.names
    }

    /// Whether the child `name` is a group, a dataset, or something else.
    public func childKind(_ name: String) throws -> HDF5ObjectKind {
        let at = childLocation(name)
        let id = try check(H5Oopen(objectID, name, chdf5_P_DEFAULT()), "H5Oopen", at: at)
        defer { H5Oclose(id) }
        switch H5Iget_type(id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }
}

public enum HDF5ObjectKind: String, Sendable { case group, dataset, other }

/// A group inside a file.
public final class HDF5Group: HDF5Container {
    let handle: HDF5Handle
    public let location: HDF5Location
    public var objectID: hid_t { handle.id }
    public var fileHandle: HDF5Handle { handle.parent ?? handle }

    init(handle: HDF5Handle, location: HDF5Location) {
        self.handle = handle
        self.location = location
    }

    public var path: String { location.object }
}

/// Collects names from an H5Literate callback.
final class NameList { var names: [String] = [] }
