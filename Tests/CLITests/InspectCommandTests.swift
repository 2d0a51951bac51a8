import Foundation
import LoupeCore
import Testing

@Suite("loupe inspect")
struct InspectCommandTests {
    @Test("prints the tree of a dump-like file, and the same tree as JSON")
    func printsTree() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/dump.h5"
        try HDF5File.writeAtomically(path) { file in
            try RunFormat.stamp(file, format: RunFormat.dumpFormat, version: RunFormat.dumpVersion)
            try file.setAttribute("target", "prob")
            try file.write("activations/layer4.1", [Float](repeating: 1, count: 2 * 8 * 2 * 2), shape: [2, 8, 2, 2],
                           storeAs: .float16, chunk: [1, 8, 2, 2], compression: .deflate(level: 4, shuffle: true))
            try file.write("probe/classes", strings: ["a", "b"])
        }
        let text = try loupe(["inspect", path])
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("@format = \"loupe-dump\""))
        #expect(text.out.contains("layer4.1  float16 [2×8×2×2]  (chunks 1×8×2×2, shuffle+deflate(4)"))
        #expect(text.out.contains("classes  string [2]"))

        let json = try loupe(["inspect", "--json", path])
        #expect(json.status == 0)
        let tree = try JSONDecoder().decode(HDF5Tree.self, from: Data(json.out.utf8))
        let activations = tree.root.children?.first { $0.path == "/activations" }
        let layer = activations?.children?.first
        #expect(layer?.path == "/activations/layer4.1")
        #expect(layer?.dtype == "float16")
        #expect(layer?.shape == [2, 8, 2, 2])
        #expect(tree.root.attributes["target"] == "\"prob\"")
    }

    @Test("bad input exits non-zero with one clear line", arguments: ["jpeg", "empty", "directory", "missing"])
    func badInput(kind: String) throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        var path = folder + "/input"
        switch kind {
        case "jpeg": FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0, count: 100)))
        case "empty": FileManager.default.createFile(atPath: path, contents: Data())
        case "directory": path = folder
        default: path = folder + "/nope.h5"
        }
        let result = try loupe(["inspect", path])
        #expect(result.status != 0)
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.err)")
        #expect(result.err.hasPrefix("loupe: error: \(path)"))
        #expect(result.out.isEmpty)
    }

    @Test func helpShowsExamples() throws {
        let result = try loupe(["inspect", "--help"])
        #expect(result.status == 0)
        #expect(result.out.contains("Examples:"))
    }
}
