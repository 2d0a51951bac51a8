import Foundation
import LoupeCore
import Testing

@Suite("loupe demo --quick, end to end")
struct DemoCommandTests {
    @Test("every artifact exists, the notebook is valid nbformat 4, and the report's numbers match result.h5")
    func quickDemo() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/report", runs = folder + "/runs"
        let result = try loupe(["demo", "--quick", "--out", out, "--runs", runs], environment: ["XDG_CACHE_HOME": folder + "/cache"])
        #expect(result.status == 0, "demo failed: \(result.err.suffix(2000))")
        let fm = FileManager.default
        for file in ["report.html", "report.ipynb", "summary.json", "figures/training_curves.png", "compare/metrics.csv",
                     "scratch/gradcam/result.h5", "pretrained/gradcam/result.h5", "scratch/zero-grad-prob-float16/result.h5",
                     "compare/scratch/purity/result.h5", "compare/pretrained/tsne/result.h5"] {
            #expect(fm.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        for run in ["scratch", "pretrained"] {
            let dumps = try fm.contentsOfDirectory(atPath: runs + "/\(run)/dumps").filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }
            #expect(dumps.sorted() == ["epoch-0000.h5", "epoch-0001.h5", "epoch-0002.h5"])
            #expect(fm.fileExists(atPath: runs + "/\(run)/probes/epoch-0002-prob-float16.h5"))
        }
        // The backbone was cached for the next demo.
        #expect(try fm.contentsOfDirectory(atPath: folder + "/cache/loupe/pretrained").contains { $0.hasSuffix(".h5") })

        // nbformat, an independent validator, accepts the notebook.
        let validate = try runProcess("/usr/bin/python3", ["-c", "import nbformat,sys; nb=nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(nb.nbformat, len(nb.cells))", out + "/report.ipynb"])
        #expect(validate.status == 0, "nbformat: \(validate.err)")
        #expect(validate.out.hasPrefix("4 "))

        // Findings' numbers are the purity analyzer's, as stored in its result.h5.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let findings = summary["findings"] as! [String: Any]
        #expect(Set(findings.keys) == ["a", "b", "c", "d"])
        let a = (findings["a"] as! [String: Any])["numbers"] as! [String: Double]
        for run in ["scratch", "pretrained"] {
            let file = try HDF5File.open(out + "/compare/\(run)/purity/result.h5")
            let stored = try storedKNN(file)
            #expect(abs(stored - a["knn_class_\(run)"]!) < 1e-9, "\(run): report \(a["knn_class_\(run)"]!) vs result.h5 \(stored)")
        }
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Findings"))
        #expect(!html.contains("src=\"http"))  // self-contained
    }

    /// The class k-NN accuracy as the purity analyzer stored it (first of `class_metrics`, per its description).
    func storedKNN(_ file: HDF5File) throws -> Double {
        let metrics = try file.dataset("class_metrics")
        #expect(try metrics.attribute("description")?.stringValue?.contains("knn_accuracy, nmi") == true)
        return try metrics.read(as: Double.self)[0]
    }
}

func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
