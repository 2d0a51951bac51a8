import Foundation
import LoupeCore
import Testing

@Suite("HDF5 round trips")
struct HDF5RoundTripTests {
    @Test("every numeric dtype, shape and compression reads back equal after reopening")
    func numericRoundTrip() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/numbers.h5"
        let floats: [Float] = (0..<120).map { Float($0) * 0.37 - 11 }
        let compressions: [HDF5Compression] = [.none, .deflate(level: 1, shuffle: true), .deflate(level: 9, shuffle: false)]
        try HDF5File.writeAtomically(path) { file in
            for (i, compression) in compressions.enumerated() {
                try file.write("f32/c\(i)", floats, shape: [2, 3, 4, 5], chunk: [1, 3, 4, 5], compression: compression)
            }
            try file.write("f64", floats.map(Double.init), shape: [120])
            try file.write("f16", floats, shape: [10, 12], storeAs: .float16, compression: .deflate(level: 4, shuffle: true))
            try file.write("i8", (0..<10).map { Int8($0 - 5) })
            try file.write("i16", (0..<10).map { Int16($0 * -300) })
            try file.write("i32", (0..<10).map { Int32($0 * -70000) })
            try file.write("i64", (0..<10).map { Int64($0) << 40 })
            try file.write("u8", (0..<256).map { UInt8($0) }, shape: [16, 16])
            try file.write("u16", (0..<10).map { UInt16($0 * 6000) })
            try file.write("u32", (0..<10).map { UInt32($0) * 400_000_000 })
            try file.write("u64", (0..<10).map { UInt64($0) << 60 })
            try file.write("deep/nested/group/x", [Float(1), 2, 3])
        }
        let file = try HDF5File.open(path)
        for i in compressions.indices {
            let d = try file.dataset("f32/c\(i)")
            #expect(d.shape == [2, 3, 4, 5])
            #expect(d.chunk == [1, 3, 4, 5])
            #expect(try d.read(as: Float.self) == floats)
        }
        #expect(try file.dataset("f32/c1").filters == ["shuffle", "deflate(1)"])
        #expect(try file.dataset("f32/c2").filters == ["deflate(9)"])
        #expect(try file.read("f64", as: Double.self) == floats.map(Double.init))
        let f16 = try file.dataset("f16")
        #expect(f16.elementType == .float16)
        #expect(try f16.read(as: Float.self) == floats.map { Float(Float16($0)) })
        #expect(try file.read("i8", as: Int8.self) == (0..<10).map { Int8($0 - 5) })
        #expect(try file.read("i16", as: Int16.self) == (0..<10).map { Int16($0 * -300) })
        #expect(try file.read("i32", as: Int32.self) == (0..<10).map { Int32($0 * -70000) })
        #expect(try file.read("i64", as: Int64.self) == (0..<10).map { Int64($0) << 40 })
        #expect(try file.read("u8", as: UInt8.self) == (0..<256).map { UInt8($0) })
        #expect(try file.read("u16", as: UInt16.self) == (0..<10).map { UInt16($0 * 6000) })
        #expect(try file.read("u32", as: UInt32.self) == (0..<10).map { UInt32($0) * 400_000_000 })
        #expect(try file.read("u64", as: UInt64.self) == (0..<10).map { UInt64($0) << 60 })
        #expect(try file.read("deep/nested/group/x", as: Float.self) == [1, 2, 3])
        #expect(try file.group("deep").childNames() == ["nested"])
        // Widening within a kind is allowed: int32 read as int64.
        #expect(try file.read("i32", as: Int64.self) == (0..<10).map { Int64($0 * -70000) })
    }

    @Test("rows are written and read by hyperslab along the first dimension")
    func rowAccess() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/rows.h5"
        try HDF5File.writeAtomically(path) { file in
            let d = try file.createDataset("a", type: .float16, shape: [5, 2, 3], chunk: [1, 2, 3], compression: .deflate(level: 1, shuffle: true))
            for row in 0..<5 { try d.writeRows(start: row, (0..<6).map { Float(row * 10 + $0) }) }
        }
        let d = try HDF5File.open(path).dataset("a")
        #expect(try d.readRows(2..<4, as: Float.self) == (20..<26).map(Float.init) + (30..<36).map(Float.init))
        #expect(throws: HDF5Error.self) { try d.readRows(4..<6, as: Float.self) }
    }

    @Test("rows of a dump's layout (one row per chunk, no filter), written as whole chunks in any order, read back equal in Loupe and h5py")
    func wholeChunkRows() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/chunks.h5"
        // Halves in ±10: exact in float16, so both dtypes must give these values back unchanged.
        let floats: [Float] = (0..<36).map { Float($0) * 0.5 - 10 }
        let bytes: [UInt8] = (0..<36).map { UInt8($0 * 7 % 256) }
        try HDF5File.writeAtomically(path) { file in
            for (name, type) in [("f32", HDF5ElementType.float32), ("f16", .float16)] {
                let d = try file.createDataset(name, type: type, shape: [6, 2, 3], chunk: [1, 2, 3])
                // A batch of four rows, then two: each row must land in its own chunk.
                try d.writeRows(start: 2, Array(floats[12...]))
                try d.writeRows(start: 0, Array(floats[..<12]))
            }
            let u8 = try file.createDataset("u8", type: .uint8, shape: [6, 6], chunk: [1, 6])
            try u8.writeRows(start: 3, Array(bytes[18...]))
            try u8.writeRows(start: 0, Array(bytes[..<18]))
        }
        let file = try HDF5File.open(path)
        #expect(try file.dataset("f32").read(as: Float.self) == floats)
        #expect(try file.dataset("f16").read(as: Float.self) == floats)
        #expect(try file.dataset("f16").readRows(4..<5, as: Float.self) == Array(floats[24..<30]))
        #expect(try file.dataset("u8").read(as: UInt8.self) == bytes)
        #expect(try file.dataset("f16").chunk == [1, 2, 3])
        #expect(try file.dataset("f16").filters == [])
        let script = """
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], 'r')
        want = np.arange(36, dtype=np.float32).reshape(6, 2, 3) * np.float32(0.5) - np.float32(10)
        print(f['f32'].dtype, f['f16'].dtype, f['f16'].chunks, f['f16'].compression,
              np.array_equal(f['f32'][...], want), np.array_equal(f['f16'][...].astype(np.float32), want),
              f['u8'][...].ravel().tolist() == [i * 7 % 256 for i in range(36)])
        """
        let result = try runProcess(systemPython, ["-c", script, path])
        #expect(result.status == 0, "h5py failed: \(result.err)")
        #expect(result.out.trimmingCharacters(in: .whitespacesAndNewlines) == "float32 float16 (1, 2, 3) None True True True")
    }

    @Test("rows of an uncompressed dump's layout (contiguous), written in batches of changing size in any order, read back equal in Loupe and h5py")
    func contiguousRows() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/contiguous.h5"
        let floats: [Float] = (0..<42).map { Float($0) * 0.5 - 10 }
        try HDF5File.writeAtomically(path) { file in
            for (name, type) in [("f32", HDF5ElementType.float32), ("f16", .float16)] {
                let d = try file.createDataset(name, type: type, shape: [7, 2, 3])
                // Three rows, then one, then three: the float16 buffer kept between batches is resized both ways.
                try d.writeRows(start: 4, Array(floats[24...]))
                try d.writeRows(start: 0, Array(floats[..<6]))
                try d.writeRows(start: 1, Array(floats[6..<24]))
            }
        }
        let file = try HDF5File.open(path)
        #expect(try file.dataset("f16").chunk == nil)
        #expect(try file.dataset("f32").read(as: Float.self) == floats)
        #expect(try file.dataset("f16").read(as: Float.self) == floats)
        #expect(try file.dataset("f16").readRows(5..<6, as: Float.self) == Array(floats[30..<36]))
        let script = """
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], 'r')
        want = np.arange(42, dtype=np.float32).reshape(7, 2, 3) * np.float32(0.5) - np.float32(10)
        print(f['f16'].dtype, f['f16'].chunks, np.array_equal(f['f32'][...], want), np.array_equal(f['f16'][...].astype(np.float32), want))
        """
        let result = try runProcess(systemPython, ["-c", script, path])
        #expect(result.status == 0, "h5py failed: \(result.err)")
        #expect(result.out.trimmingCharacters(in: .whitespacesAndNewlines) == "float16 None True True")
    }

    @Test("strings and every attribute kind round trip")
    func stringsAndAttributes() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/attrs.h5"
        let names = ["golden retriever", "Shiba Inu 柴犬", "", "é"]
        let values: [String: HDF5AttributeValue] = [
            "s": .string("loupe-dump"), "ss": .strings(["a", "bé"]), "i": .int(-42), "ii": .ints([1, 2, 3]),
            "d": .double(0.125), "dd": .doubles([0.485, 0.456, 0.406]),
        ]
        try HDF5File.writeAtomically(path) { file in
            try file.write("probe/classes", strings: names)
            for (k, v) in values { try file.setAttribute(k, v) }
            let g = try file.group("probe")
            try g.setAttribute("note", "group attribute")
            try file.dataset("probe/classes").setAttribute("unit", "name")
        }
        let file = try HDF5File.open(path)
        #expect(try file.dataset("probe/classes").readStrings() == names)
        for (k, v) in values { #expect(try file.attribute(k) == v) }
        #expect(try file.attributeNames().sorted() == values.keys.sorted())
        #expect(try file.group("probe").attribute("note") == .string("group attribute"))
        #expect(try file.dataset("probe/classes").attribute("unit") == .string("name"))
        #expect(try file.attribute("absent") == nil)
    }

    @Test("h5py reads Loupe's files with the documented names and dtypes (float16 as float16)")
    func h5pyReadsLoupeFiles() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/h5py.h5"
        try HDF5File.writeAtomically(path) { file in
            try RunFormat.stamp(file, format: RunFormat.dumpFormat, version: RunFormat.dumpVersion)
            try file.write("activations/layer4.1", [Float](repeating: 0.5, count: 24), shape: [2, 3, 2, 2], storeAs: .float16,
                           compression: .deflate(level: 4, shuffle: true))
            try file.write("probe/labels", [Int32(3), 1])
            try file.write("probe/images", [UInt8](repeating: 7, count: 2 * 4 * 4 * 3), shape: [2, 4, 4, 3])
            try file.write("probe/ids", strings: ["a/1", "b/2"])
        }
        let script = """
        import h5py, sys
        f = h5py.File(sys.argv[1], 'r')
        a = f['activations/layer4.1']
        print(f.attrs['format'], a.dtype, a.shape, a.chunks, a.compression, a.shuffle, float(a[1, 2, 1, 1]))
        print(f['probe/labels'].dtype, list(f['probe/labels'][:]), f['probe/images'].dtype, f['probe/images'].shape)
        print([s.decode() if isinstance(s, bytes) else s for s in f['probe/ids'][:]])
        """
        let result = try runProcess(systemPython, ["-c", script, path])
        #expect(result.status == 0, "h5py failed: \(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.first == "loupe-dump float16 (2, 3, 2, 2) (1, 3, 2, 2) gzip True 0.5")
        #expect(lines.dropFirst().first == "int32 [3, 1] uint8 (2, 4, 4, 3)")
        #expect(lines.last == "['a/1', 'b/2']")
    }

    @Test("Loupe reads files written by h5py, including float16 and fixed-length strings")
    func loupeReadsH5pyFiles() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/from-h5py.h5"
        let script = """
        import h5py, numpy as np, sys
        with h5py.File(sys.argv[1], 'w') as f:
            f['embedding'] = np.arange(12, dtype=np.float16).reshape(3, 4) / 4
            f['probe/labels'] = np.array([0, 2, 1], dtype=np.int64)
            f['fixed'] = np.array([b'ab', b'cde'], dtype='S3')
            f['vlen'] = np.array(['x', 'yz'], dtype=h5py.string_dtype())
            f.attrs['epoch'] = 7
            f.attrs['target'] = 'prob'
        """
        let made = try runProcess(systemPython, ["-c", script, path])
        #expect(made.status == 0, "h5py failed: \(made.err)")
        let file = try HDF5File.open(path)
        #expect(try file.read("embedding", as: Float.self) == (0..<12).map { Float($0) / 4 })
        #expect(try file.read("probe/labels", as: Int32.self) == [0, 2, 1])
        #expect(try file.dataset("fixed").readStrings() == ["ab", "cde"])
        #expect(try file.dataset("vlen").readStrings() == ["x", "yz"])
        #expect(try file.attribute("epoch")?.intValue == 7)
        #expect(try file.attribute("target")?.stringValue == "prob")
    }
}
