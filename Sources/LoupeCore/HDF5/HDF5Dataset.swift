import CHDF5

/// An open dataset: shape and type known, readable whole or by rows along its first dimension.
public final class HDF5Dataset: HDF5Attributed {
    let handle: HDF5Handle
    public let location: HDF5Location
    public let shape: [Int]
    /// The element type stored in the file.
    public let elementType: HDF5ElementType
    public var objectID: hid_t { handle.id }
    public var fileHandle: HDF5Handle { handle.parent ?? handle }
    public var path: String { location.object }
    public var count: Int { shape.reduce(1, *) }

    init(handle: HDF5Handle, location: HDF5Location) throws {
        self.handle = handle
        self.location = location
        let space = HDF5Handle.dataspace(try check(H5Dget_space(handle.id), "H5Dget_space", at: location))
        let rank = Int(try check(H5Sget_simple_extent_ndims(space.id), "H5Sget_simple_extent_ndims", at: location))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { _ = try check(H5Sget_simple_extent_dims(space.id, &dims, nil), "H5Sget_simple_extent_dims", at: location) }
        guard dims.prefix(max(rank, 0)).allSatisfy({ $0 <= hsize_t(Int.max) }) else {
            throw HDF5Error(.wrongShape, file: location.file, object: location.object,
                            message: "dataset declares a dimension larger than 2^63; the file is corrupt")
        }
        shape = rank > 0 ? dims.prefix(rank).map { Int($0) } : []
        if case .failure(.overflow) = InputLimits.checkedCount(shape) {
            throw HDF5Error(.wrongShape, file: location.file, object: location.object,
                            message: InputLimits.describe(.overflow, shape: shape))
        }
        let type = HDF5Handle.datatype(try check(H5Dget_type(handle.id), "H5Dget_type", at: location))
        guard let kind = HDF5ElementType.classify(type.id) else {
            throw HDF5Error(.wrongType, file: location.file, object: location.object,
                            message: "dataset has a datatype Loupe does not read (compound, enum or opaque)")
        }
        elementType = kind
    }

    /// The chunk shape, or nil for contiguous storage.
    public var chunk: [Int]? {
        let plist = HDF5Handle.property(H5Dget_create_plist(handle.id))
        guard H5Pget_layout(plist.id) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: max(shape.count, 1))
        let rank = H5Pget_chunk(plist.id, Int32(dims.count), &dims)
        return rank > 0 ? dims.prefix(Int(rank)).map { Int($0) } : nil
    }

    /// Names of the filters in pipeline order, e.g. `["shuffle", "deflate(4)"]`.
    public var filters: [String] {
        let plist = HDF5Handle.property(H5Dget_create_plist(handle.id))
        let n = H5Pget_nfilters(plist.id)
        guard n > 0 else { return [] }
        return (0..<n).map { i in
            var flags: UInt32 = 0
            var nValues = 8
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            var config: UInt32 = 0
            let id = H5Pget_filter2(plist.id, UInt32(i), &flags, &nValues, &values, name.count, &name, &config)
            switch id {
            case H5Z_FILTER_DEFLATE: return "deflate(\(nValues > 0 ? values[0] : 0))"
            case H5Z_FILTER_SHUFFLE: return "shuffle"
            case H5Z_FILTER_FLETCHER32: return "fletcher32"
            case H5Z_FILTER_SZIP: return "szip"
            case 32000: return "lzf"
            default: return name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
        }
    }

    /// Bytes the data occupies on disk (after compression).
    public var storageSize: Int { Int(H5Dget_storage_size(handle.id)) }

    // MARK: - Writing

    /// Writes `values` to the whole dataset.
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        try requireCount(values.count, count)
        try write(values, selection: nil)
    }

    /// Writes `values` into rows `start ..< start + values.count / rowSize` along dimension 0.
    public func writeRows<T: HDF5Scalar>(start: Int, _ values: [T]) throws {
        let rowSize = shape.dropFirst().reduce(1, *)
        guard !shape.isEmpty, rowSize > 0, values.count % rowSize == 0 else {
            throw shapeError("cannot write \(values.count) values as whole rows of \(shape.dropFirst().map(String.init).joined(separator: "×"))")
        }
        let rows = values.count / rowSize
        guard start >= 0, start + rows <= shape[0] else { throw shapeError("rows \(start)..<\(start + rows) are outside 0..<\(shape[0])") }
        try write(values, selection: (start, rows))
    }

    private func write<T: HDF5Scalar>(_ values: [T], selection: (start: Int, rows: Int)?) throws {
        HDF5Library.start()
        try requireCompatible(T.hdf5Type)
        // Converting float32 → float16 in Swift is faster than HDF5's soft conversion path. The type test,
        // not `values as? [Float]`: in unspecialised generic code that cast copies element by element
        // (`_arrayConditionalCast`), which cost more than the conversion and the write together.
        if elementType == .float16, T.self == Float.self {
            let floats = unsafeBitCast(values, to: [Float].self)
            if let selection, selection.rows > 0, rowChunks, try storesNative(.float16) {
                return try writeHalfRowChunks(floats, start: selection.start, rows: selection.rows)
            }
            if let selection { return try writeHalfRows(floats, selection: selection) }
            return try write(HalfConversion.half(floats), selection: nil)
        }
        if let selection, selection.rows > 0, rowChunks, try storesNative(T.hdf5Type) {
            return try values.withUnsafeBytes { try writeRowChunks($0, start: selection.start, rows: selection.rows) }
        }
        let memType = HDF5Handle.datatype(try check(T.hdf5Type.makeMemoryType(), "H5Tcopy", at: location))
        try withSelection(selection) { memSpace, fileSpace in
            _ = try check(values.withUnsafeBytes { H5Dwrite(handle.id, memType.id, memSpace, fileSpace, chdf5_P_DEFAULT(), $0.baseAddress) },
                      "H5Dwrite", at: location)
        }
    }

    // MARK: - Whole-chunk writes

    /// One row along dimension 0 per chunk, no filter: the layout of a dump's activations and gradients. Rows
    /// are then written as whole chunks straight to the file (`H5Dwrite_chunk`), bypassing the chunk cache (a
    /// copy of every byte), the type-conversion path and the selection machinery. The file is the same as
    /// `H5Dwrite` makes: a chunk's bytes are its elements in file order either way. Read on the first row write.
    private lazy var rowChunks: Bool = {
        guard shape.count >= 2, shape.allSatisfy({ $0 > 0 }), let chunk, chunk == [1] + shape.dropFirst() else { return false }
        let plist = HDF5Handle.property(H5Dget_create_plist(handle.id))
        return plist.id >= 0 && H5Pget_nfilters(plist.id) == 0
    }()

    /// Where a `preallocated` dataset's elements start in the file, when it can be written there directly:
    /// contiguous, space allocated, no filter, and stored exactly as Loupe lays out its element type in memory
    /// (float16 as IEEE binary16 little-endian). Nil otherwise. Read on the first streamed write.
    lazy var streamOffset: Int? = {
        guard elementType != .string, chunk == nil, filters.isEmpty, (try? storesNative(elementType)) == true else { return nil }
        let address = H5Dget_offset(handle.id)
        guard chdf5_addr_defined(address) != 0, address <= haddr_t(Int.max / 2) else {
            H5Eclear2(chdf5_E_DEFAULT())
            return nil
        }
        return Int(address)
    }()

    /// Whether the file stores elements exactly as `type` lays them out in memory (no conversion needed).
    private func storesNative(_ type: HDF5ElementType) throws -> Bool {
        guard type == elementType else { return false }
        let memType = HDF5Handle.datatype(try check(type.makeMemoryType(), "H5Tcopy", at: location))
        let fileType = HDF5Handle.datatype(try check(H5Dget_type(handle.id), "H5Dget_type", at: location))
        return try check(H5Tequal(memType.id, fileType.id), "H5Tequal", at: location) > 0
    }

    /// Writes `rows` whole rows from `bytes` (native layout) as chunks `start ..< start + rows`.
    private func writeRowChunks(_ bytes: UnsafeRawBufferPointer, start: Int, rows: Int) throws {
        let rowBytes = bytes.count / rows
        var offset = [hsize_t](repeating: 0, count: shape.count)
        for r in 0..<rows {
            offset[0] = hsize_t(start + r)
            try check(H5Dwrite_chunk(handle.id, chdf5_P_DEFAULT(), 0, &offset, rowBytes, bytes.baseAddress! + r * rowBytes),
                      "H5Dwrite_chunk", at: location)
        }
    }

    /// float32 rows into a float16 dataset: each row is converted into one chunk-sized buffer, reused, and
    /// written from there while it is still in cache (no float16 copy of the whole batch).
    private func writeHalfRowChunks(_ values: [Float], start: Int, rows: Int) throws {
        let rowSize = values.count / rows
        var half = [UInt16](repeating: 0, count: rowSize)
        try values.withUnsafeBufferPointer { src in
            try half.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    HalfConversion.half(src.baseAddress! + r * rowSize, into: dst.baseAddress!, count: rowSize)
                    try writeRowChunks(UnsafeRawBufferPointer(dst), start: start + r, rows: 1)
                }
            }
        }
    }

    /// The float16 rows of the last `writeHalfRows`, kept so that a stream of same-sized batches converts into
    /// memory that is already mapped (a fresh 2 MB array per batch costs a page fault per 4 KB).
    private var halfRows: [UInt16] = []

    /// float32 rows into a float16 dataset, contiguous or chunked: converted into `halfRows`, then one `H5Dwrite`.
    /// For a contiguous dataset that is one large write of the whole selection, which the kernel takes
    /// at about twice the rate of one write per row.
    private func writeHalfRows(_ values: [Float], selection: (start: Int, rows: Int)) throws {
        if halfRows.count != values.count { halfRows = [UInt16](repeating: 0, count: values.count) }
        let memType = HDF5Handle.datatype(try check(HDF5ElementType.float16.makeMemoryType(), "H5Tcopy", at: location))
        try values.withUnsafeBufferPointer { src in
            try halfRows.withUnsafeMutableBufferPointer { dst in
                HalfConversion.half(src.baseAddress!, into: dst.baseAddress!, count: values.count)
                try withSelection(selection) { memSpace, fileSpace in
                    _ = try check(H5Dwrite(handle.id, memType.id, memSpace, fileSpace, chdf5_P_DEFAULT(), dst.baseAddress), "H5Dwrite", at: location)
                }
            }
        }
    }

    /// Writes a 1-D string dataset.
    public func write(strings: [String]) throws {
        HDF5Library.start()
        guard elementType == .string else { throw typeError(wanted: .string) }
        try requireCount(strings.count, count)
        let memType = HDF5Handle.datatype(try check(HDF5ElementType.string.makeMemoryType(), "H5Tcopy", at: location))
        try check(withCStringPointers(strings) { H5Dwrite(handle.id, memType.id, chdf5_S_ALL(), chdf5_S_ALL(), chdf5_P_DEFAULT(), $0) },
                  "H5Dwrite", at: location)
    }

    // MARK: - Reading

    /// Reads the whole dataset as `T`, converting precision within the same kind (float16 → Float).
    public func read<T: HDF5Scalar>(as: T.Type = T.self) throws -> [T] {
        try read(selection: nil)
    }

    /// Reads `rows` along dimension 0; only the chunks those rows live in are decompressed.
    public func readRows<T: HDF5Scalar>(_ rows: Range<Int>, as: T.Type = T.self) throws -> [T] {
        guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            throw shapeError("rows \(rows) are outside 0..<\(shape.first ?? 0)")
        }
        return try read(selection: (rows.lowerBound, rows.count))
    }

    private func read<T: HDF5Scalar>(selection: (start: Int, rows: Int)?) throws -> [T] {
        HDF5Library.start()
        try requireCompatible(T.hdf5Type)
        let selected = selection.map { [$0.rows] + shape.dropFirst() } ?? shape
        let n: Int
        switch InputLimits.checkedCount(selected, elementSize: MemoryLayout<T>.stride) {
        case .success(let count): n = count
        case .failure(let problem):
            throw HDF5Error(.wrongShape, file: location.file, object: location.object, message: InputLimits.describe(problem, shape: selected))
        }
        if elementType == .float16, T.self == Float.self {
            let halves: [Float16] = try read(selection: selection)
            // T is Float here; `as! [T]` would cast element by element (see `write`).
            return unsafeBitCast(HalfConversion.float(halves), to: [T].self)
        }
        var out = [T](repeating: T(), count: n)
        let memType = HDF5Handle.datatype(try check(T.hdf5Type.makeMemoryType(), "H5Tcopy", at: location))
        try withSelection(selection) { memSpace, fileSpace in
            _ = try check(out.withUnsafeMutableBytes { H5Dread(handle.id, memType.id, memSpace, fileSpace, chdf5_P_DEFAULT(), $0.baseAddress) },
                      "H5Dread", at: location)
        }
        return out
    }

    /// Reads a string dataset (fixed or variable length).
    public func readStrings() throws -> [String] {
        HDF5Library.start()
        guard elementType == .string else { throw typeError(wanted: .string) }
        let fileType = HDF5Handle.datatype(try check(H5Dget_type(handle.id), "H5Dget_type", at: location))
        return try withExtendedLifetime(fileType) {
            try LoupeCore.readStrings(count: count, fileType: fileType.id, at: location) {
                H5Dread(handle.id, $0, chdf5_S_ALL(), chdf5_S_ALL(), chdf5_P_DEFAULT(), $1)
            }
        }
    }

    // MARK: - Helpers

    private func withSelection(_ selection: (start: Int, rows: Int)?, _ body: (hid_t, hid_t) throws -> Void) throws {
        guard let selection else { return try body(chdf5_S_ALL(), chdf5_S_ALL()) }
        let fileSpace = HDF5Handle.dataspace(try check(H5Dget_space(handle.id), "H5Dget_space", at: location))
        var start = [hsize_t](repeating: 0, count: shape.count)
        var size = shape.map { hsize_t($0) }
        start[0] = hsize_t(selection.start)
        size[0] = hsize_t(selection.rows)
        try check(H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &start, nil, &size, nil), "H5Sselect_hyperslab", at: location)
        let memSpace = HDF5Handle.dataspace(H5Screate_simple(Int32(size.count), &size, nil))
        try body(memSpace.id, fileSpace.id)
    }

    private func requireCount(_ given: Int, _ expected: Int) throws {
        if given != expected { throw shapeError("got \(given) values for shape \(shape) (\(expected) elements)") }
    }

    private func requireCompatible(_ wanted: HDF5ElementType) throws {
        func family(_ t: HDF5ElementType) -> Int {
            switch t {
            case .float16, .float32, .float64: 0
            case .string: 2
            default: 1
            }
        }
        if family(wanted) != family(elementType) { throw typeError(wanted: wanted) }
    }

    private func typeError(wanted: HDF5ElementType) -> HDF5Error {
        HDF5Error(.wrongType, file: location.file, object: location.object,
                  message: "dataset holds \(elementType.rawValue), asked for \(wanted.rawValue)")
    }

    private func shapeError(_ text: String) -> HDF5Error {
        HDF5Error(.wrongShape, file: location.file, object: location.object, message: text)
    }
}
