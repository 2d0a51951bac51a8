import Foundation
import LoupeCore
import Testing
@testable import Analyzers

/// Values no writer should produce, as a hand-written or foreign dump may hold them: each is an error
/// naming the file and the attribute or dataset, never a trap.
@Suite("Malformed values in dumps")
struct MalformedDumpTests {
    @Test("an image_size of NaN, 0 or 1e300 is named", arguments: [Double.nan, 0, 1e300, 12.5])
    func badImageSize(value: Double) throws {
        let folder = TestDumps.temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try TestDumps.write(DumpSpec(), to: folder + "/d.h5")
        let file = try HDF5File.open(path, writable: true)
        try file.setAttribute("image_size", value)
        file.close()
        #expect { _ = try DumpFile(path) } throws: { "\($0)".contains("image_size") && "\($0)".contains(path) }
    }

    @Test("float labels that are not whole numbers a label can be (1e300, NaN, 0.5) are named")
    func badFloatLabels() throws {
        for bad in [1e300, .nan, 0.5] {
            let folder = TestDumps.temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
            var spec = DumpSpec()
            spec.omit = [RunFormat.Dump.labels]
            let path = try TestDumps.write(spec, to: folder + "/d.h5")
            let file = try HDF5File.open(path, writable: true)
            try file.write(RunFormat.Dump.labels, (0..<spec.n).map { $0 == 3 ? bad : Double($0 % 3) }, shape: [spec.n])
            file.close()
            let dump = try DumpFile(path)
            #expect { _ = try dump.labels() } throws: { "\($0)".contains("labels") && "\($0)".contains("whole-number") }
        }
    }

    @Test("labels that are not class indices (2^31, -5, Int64.max) are named, not turned into class names", arguments: [Int64(1) << 31, -5, .max])
    func hugeLabels(bad: Int64) throws {
        let folder = TestDumps.temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        var spec = DumpSpec()
        spec.omit = [RunFormat.Dump.labels, RunFormat.Dump.classes]
        let path = try TestDumps.write(spec, to: folder + "/d.h5")
        let file = try HDF5File.open(path, writable: true)
        try file.write(RunFormat.Dump.labels, (0..<spec.n).map { $0 == 2 ? bad : Int64($0 % 3) }, shape: [spec.n])
        file.close()
        let dump = try DumpFile(path)
        #expect { _ = try dump.classNames() } throws: { "\($0)".contains("/probe/labels[2]") && "\($0)".contains("\(bad)") }
    }

    /// Inputs the fuzzer (`make fuzz`, target dump) found, kept as files: each is read the way the fuzz
    /// target reads a dump, and must end in a thrown error or a result, never a trap or a huge allocation.
    @Test("fuzz findings in Fixtures/fuzz-regressions end in an error, not a crash", arguments: ["dump-2e31-class-names.h5", "dump-huge-label.h5"])
    func fuzzRegression(name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz-regressions/" + name).path
        let outcome: String
        do {
            let dump = try DumpFile(path)
            _ = try dump.labels()
            _ = try dump.classNames()
            outcome = "read"
        } catch {
            outcome = "\(error)"
        }
        #expect(outcome.contains(path) || outcome == "read", "\(outcome)")
    }
}
