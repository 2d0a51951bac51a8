import Foundation
import LoupeCore
import Testing

@Suite("HDF5 errors are typed and name the file, object and cause")
struct HDF5ErrorTests {
    func expectError(_ kind: HDF5Error.Kind, file: String? = nil, object: String? = nil, mentioning words: [String] = [],
                     _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(kind) error")
        } catch let error as HDF5Error {
            #expect(error.kind == kind, "got \(error)")
            if let file { #expect(error.file == file) }
            if let object { #expect(error.object == object) }
            for word in words { #expect(error.description.contains(word), "'\(error)' should mention '\(word)'") }
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func missingFile() {
        expectError(.fileNotFound, file: "/nonexistent/x.h5", mentioning: ["no such file"]) { _ = try HDF5File.open("/nonexistent/x.h5") }
    }

    @Test func notHDF5() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let jpeg = folder + "/photo.jpg", empty = folder + "/empty.h5"
        FileManager.default.createFile(atPath: jpeg, contents: Data([0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 1, count: 600)))
        FileManager.default.createFile(atPath: empty, contents: Data())
        expectError(.notHDF5, file: jpeg, mentioning: ["not an HDF5 file"]) { _ = try HDF5File.open(jpeg) }
        expectError(.notHDF5, file: empty) { _ = try HDF5File.open(empty) }
        expectError(.notHDF5, file: folder, mentioning: ["directory"]) { _ = try HDF5File.open(folder) }
    }

    @Test func truncatedFile() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cut.h5"
        try HDF5File.writeAtomically(path) { file in
            try file.write("big", [Float](repeating: 1, count: 100_000))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        expectError(.truncated, file: path, mentioning: ["truncated"]) {
            let file = try HDF5File.open(path)
            _ = try file.read("big", as: Float.self)
        }
    }

    @Test func missingDatasetAndWrongType() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/small.h5"
        try HDF5File.writeAtomically(path) { file in
            try file.write("names", strings: ["a"])
            try file.write("x", [Float(1)])
        }
        let file = try HDF5File.open(path)
        expectError(.missingObject, file: path, object: "/gradients/layer4") { _ = try file.dataset("gradients/layer4") }
        expectError(.wrongType, file: path, object: "/names", mentioning: ["string", "float32"]) { _ = try file.read("names", as: Float.self) }
        expectError(.wrongType, object: "/x") { _ = try file.read("x", as: Int32.self) }
        expectError(.wrongShape, object: "/y") { try HDF5File.create(folder + "/w.h5").write("y", [Float(1), 2], shape: [3]) }
    }

    @Test func newerFormatVersionIsRejected() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/future.h5"
        try HDF5File.writeAtomically(path) { try RunFormat.stamp($0, format: RunFormat.dumpFormat, version: "2.0") }
        let file = try HDF5File.open(path)
        expectError(.newerVersion, file: path, mentioning: ["2.0", "upgrade"]) {
            try RunFormat.requireFormat(file, RunFormat.dumpFormat, supported: RunFormat.dumpVersion)
        }
        expectError(.unsupportedFormat, mentioning: ["loupe-checkpoint"]) {
            try RunFormat.requireFormat(file, RunFormat.checkpointFormat, supported: RunFormat.checkpointVersion)
        }
        try HDF5File.writeAtomically(path) { try RunFormat.stamp($0, format: RunFormat.dumpFormat, version: "1.7") }
        try RunFormat.requireFormat(try HDF5File.open(path), RunFormat.dumpFormat, supported: RunFormat.dumpVersion)
    }

    @Test("format_version as h5py users write it: strings and whole numbers are read, a newer major is refused either way, anything else is named", arguments: [
        ("'1.0'", "ok"), ("'1'", "ok"), ("'1.3'", "ok"), ("1", "ok"), ("np.int64(1)", "ok"),
        ("99", "newer"), ("'99.0'", "newer"), ("'2'", "newer"),
        ("'v1'", "bad"), ("'1.0.0'", "bad"), ("1.0", "bad"), ("-1", "bad"), ("[1, 0]", "bad"), ("''", "bad"),
    ])
    func formatVersionFromH5py(value: String, expected: String) throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/v.h5"
        let script = "import h5py, numpy as np; f = h5py.File('\(path)', 'w'); f.attrs['format'] = 'loupe-dump'; f.attrs['format_version'] = \(value); f.close()"
        let made = try runProcess(systemPython, ["-c", script])
        #expect(made.status == 0, "\(made.err)")
        let file = try HDF5File.open(path)
        let check = { try RunFormat.requireFormat(file, RunFormat.dumpFormat, supported: RunFormat.dumpVersion) }
        switch expected {
        case "ok": #expect(throws: Never.self) { try check() }
        case "newer": expectError(.newerVersion, file: path, mentioning: ["upgrade"]) { try check() }
        default: expectError(.unsupportedFormat, file: path, mentioning: ["format_version", "MAJOR.MINOR"]) { try check() }
        }
    }

    /// A second descriptor's `flock` conflicts with libhdf5's even in this process, as a spawned child's
    /// inherited copy of a writer's descriptor does.
    @Test("a lock held for a moment is waited out; one that stays is a .locked error naming the file")
    func lockedFile() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/held.h5"
        try HDF5File.writeAtomically(path) { try $0.write("x", [Float](repeating: 1, count: 8)) }
        let holder = Foundation.open(path, O_RDWR)
        #expect(holder >= 0)
        defer { Foundation.close(holder) }
        #expect(flock(holder, LOCK_EX | LOCK_NB) == 0)
        expectError(.locked, file: path, mentioning: ["another program", "HDF5_USE_FILE_LOCKING"]) {
            _ = try HDF5File.open(path, lockPatience: 50_000)
        }
        let release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { usleep(150_000); flock(holder, LOCK_UN); release.signal() }
        let file = try HDF5File.open(path)
        #expect(try file.read("x", as: Float.self) == [Float](repeating: 1, count: 8))
        file.close()
        release.wait()
    }

    @Test("a failed atomic write leaves the earlier file intact and no temporary behind")
    func atomicWriteFailure() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/keep.h5"
        try HDF5File.writeAtomically(path) { try $0.write("v", [Float(1)]) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try HDF5File.writeAtomically(path) { file in
                try file.write("v", [Float(2)])
                throw Boom()
            }
        }
        #expect(try HDF5File.open(path).read("v", as: Float.self) == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["keep.h5"])
        #expect(throws: LoupeError.self) { try HDF5File.writeAtomically(folder + "/no/such/dir/x.h5") { _ in } }
    }
}

@Suite("HDF5 datasets with huge declared sizes")
struct HDF5HugeShapeTests {
    @Test("a dataset declaring more than one read may take is refused by name before anything is allocated")
    func hugeDeclaredShape() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/huge.h5"
        // h5py writes no data for a chunked dataset: the file is tiny but declares 2^40 × 2^20 floats.
        let script = "import h5py; f = h5py.File('\(path)', 'w'); f.create_dataset('embedding', shape=(2**40, 2**20), dtype='f4', chunks=(1, 1024)); f.close()"
        let made = try runProcess(systemPython, ["-c", script])
        #expect(made.status == 0, "\(made.err)")
        let file = try HDF5File.open(path)
        do {
            _ = try file.read("embedding", as: Float.self)
            Issue.record("a 4 PiB read was not refused")
        } catch let error as HDF5Error {
            #expect(error.kind == .wrongShape && error.object == "/embedding", "\(error)")
            #expect(error.description.contains("more than one read may take"), "\(error)")
        }
        // Rows of it are fine while they fit.
        #expect(try file.dataset("embedding").readRows(0..<1, as: Float.self).count == 1 << 20)
    }
}
