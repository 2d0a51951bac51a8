import Dispatch
import Foundation
import LoupeCore
import Testing

@Suite("HDF5 row stream (staged rows written past HDF5)")
struct HDF5RowStreamTests {
    /// Rows of 294, 4,356 and 5,000 bytes: no row and no batch of rows starts or ends on a 4 KB block, so every
    /// piece has partial blocks at both ends, and the datasets share blocks with each other and with the
    /// ordinary datasets written before and after them.
    static let halfRow = [7, 7, 3], floatRow = [33, 33], byteRow = [5000]
    static let rows = 10, batches = [0 ..< 3, 3 ..< 6, 6 ..< 10]

    static func values(_ count: Int, seed: Float) -> [Float] {
        (0..<count).map { sin(Float($0) * 0.013 + seed) * 40 }
    }

    @Test("rows staged in batches read back as written, neighbours intact, direct I/O kept where the file system has it",
          arguments: [true, false])
    func stagedRowsReadBack(direct: Bool) throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/stream.h5"
        let halfSize = Self.halfRow.reduce(1, *), floatSize = Self.floatRow.reduce(1, *), byteSize = Self.byteRow[0]
        let halves = Self.values(Self.rows * halfSize, seed: 1), floats = Self.values(Self.rows * floatSize, seed: 2)
        let bytes = (0..<(Self.rows * byteSize)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 5000) }
        let before = (0..<1000).map { Int32($0) }, after = (0..<777).map { Float($0) / 3 }
        var startedDirect = false, endedDirect = false
        try HDF5File.writeAtomically(path) { file in
            try file.write("before", before)
            let half = try file.createDataset("half", type: .float16, shape: [Self.rows] + Self.halfRow, preallocated: true)
            let single = try file.createDataset("single", type: .float32, shape: [Self.rows] + Self.floatRow, preallocated: true)
            let raw = try file.createDataset("raw", type: .uint8, shape: [Self.rows] + Self.byteRow, preallocated: true)
            try file.write("after", after)
            let stream = try HDF5RowStream(file: file, direct: direct)
            startedDirect = stream.isDirect
            let batch = HDF5RowBatch()
            for rows in Self.batches {
                batch.removeAll()
                let h = try batch.add(half, start: rows.lowerBound, rows: rows.count)
                let s = try batch.add(single, start: rows.lowerBound, rows: rows.count)
                let r = try batch.add(raw, start: rows.lowerBound, rows: rows.count)
                // The half rows in uneven ranges from several threads at once, as a dump fills them.
                let halfSlice = Array(halves[rows.lowerBound * halfSize ..< rows.upperBound * halfSize])
                let cuts = [0, 1, 100, halfSlice.count / 2, halfSlice.count]
                halfSlice.withUnsafeBufferPointer { source in
                    let base = UnsafeSendablePointer(source.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: cuts.count - 1) { i in
                        batch.fill(h, elements: cuts[i] ..< cuts[i + 1], from: base.pointer + cuts[i])
                    }
                }
                Array(floats[rows.lowerBound * floatSize ..< rows.upperBound * floatSize]).withUnsafeBufferPointer {
                    batch.fill(s, elements: 0 ..< $0.count, from: $0.baseAddress!)
                }
                Array(bytes[rows.lowerBound * byteSize ..< rows.upperBound * byteSize]).withUnsafeBytes { batch.fill(r, bytes: $0) }
                try stream.write(batch)
            }
            endedDirect = stream.isDirect
        }
        if !direct { #expect(!startedDirect) }
        // Memory or offsets off the block would make the device refuse a direct write, and the stream would
        // quietly go buffered: the file would still be right, so check that it never had to, wherever the
        // folder's file system takes direct I/O at all.
        if direct && HDF5RowStream.directIOWorks(in: folder) { #expect(startedDirect && endedDirect) }
        let file = try HDF5File.open(path)
        #expect(try file.read("half", as: Float.self) == halves.map { Float(Float16($0)) })
        #expect(try file.read("single", as: Float.self) == floats)
        #expect(try file.read("raw", as: UInt8.self) == bytes)
        #expect(try file.read("before", as: Int32.self) == before)
        #expect(try file.read("after", as: Float.self) == after)
        #expect(try file.dataset("half").chunk == nil)
    }

    @Test("only preallocated contiguous datasets and rows inside them can be staged")
    func refusals() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        try HDF5File.writeAtomically(folder + "/refuse.h5") { file in
            let plain = try file.createDataset("plain", type: .float32, shape: [4, 8])
            let chunked = try file.createDataset("chunked", type: .float32, shape: [4, 8], chunk: [1, 8],
                                                 compression: .deflate(level: 1, shuffle: false), preallocated: true)
            let good = try file.createDataset("good", type: .float32, shape: [4, 8], preallocated: true)
            let batch = HDF5RowBatch()
            #expect(throws: HDF5Error.self) { try batch.add(plain, start: 0, rows: 1) }
            #expect(throws: HDF5Error.self) { try batch.add(chunked, start: 0, rows: 1) }
            #expect(throws: HDF5Error.self) { try batch.add(good, start: 3, rows: 2) }
            #expect(throws: HDF5Error.self) { try batch.add(good, start: -1, rows: 1) }
            #expect(try batch.add(good, start: 0, rows: 4) == 0)
            try good.write([Float](repeating: 0, count: 32))
        }
    }
}

/// A pointer handed to `concurrentPerform`'s threads, each of which reads its own range.
private struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}
