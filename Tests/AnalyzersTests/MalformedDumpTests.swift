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
}
