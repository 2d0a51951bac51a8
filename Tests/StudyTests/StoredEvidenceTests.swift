import Analyzers
import Foundation
import LoupeCore
import Testing
@testable import Study

/// Analyzer output folders written by hand: summary.json as text, result.h5 with the datasets named.
enum Stored {
    static func folder(_ root: String, _ name: String, summary: String, write: (HDF5File) throws -> Void) throws -> String {
        let folder = root + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(summary.utf8).write(to: URL(fileURLWithPath: folder + "/summary.json"))
        let file = try HDF5File.create(folder + "/result.h5")
        try write(file)
        file.close()
        return folder
    }

    static let puritySummary = """
    {"samples": 4, "k": 2, "nuisance": "background colour",
     "class": {"knn_accuracy": 0.75, "nmi": 0.5, "purity": 1, "ari": 0.2, "silhouette": null},
     "colour": {"knn_accuracy": 0.25, "nmi": null, "purity": 1, "ari": 0.2, "silhouette": 0.1}}
    """

    static func purityArrays(_ f: HDF5File) throws {
        try f.write("/kept_rows", [Int64(0), 1, 2, 3])
        try f.write("/knn_correct_class", [Int64(1), 1, 0, 1])
        try f.write("/knn_correct_colour", [Int64(0), 0, 1, 0])
    }
}

@Suite("the study reads typed values from stored analyzer outputs, and a missing or renamed key fails loudly")
struct StoredEvidenceTests {
    @Test("a purity folder reads into per-sample indicators and the summary's metrics (null = undefined)")
    func purity() throws {
        let root = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try Stored.folder(root, "purity", summary: Stored.puritySummary, write: Stored.purityArrays)
        let c = try StudyEvidence.Clustering(folder: folder)
        #expect(c.rows == [0, 1, 2, 3] && c.correctByClass == [true, true, false, true] && c.correctByNuisance == [false, false, true, false])
        #expect(c.facts.byClass.knnAccuracy == 0.75 && c.facts.byNuisance?.knnAccuracy == 0.25 && c.facts.byNuisance?.nmi == nil)
    }

    @Test("a renamed or missing summary key throws, naming the key and the file", arguments: [
        ("\"knn_accuracy\": 0.75", "\"knn_acc\": 0.75", "class.knn_accuracy"),
        ("\"nmi\": 0.5, ", "", "class.nmi"),
        ("\"colour\": {", "\"color\": {", "colour"),
        ("\"samples\": 4, ", "", "samples"),
    ])
    func renamedKey(original: String, renamed: String, key: String) throws {
        let root = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let summary = Stored.puritySummary.replacingOccurrences(of: original, with: renamed)
        #expect(summary != Stored.puritySummary)
        let folder = try Stored.folder(root, "purity", summary: summary, write: Stored.purityArrays)
        do {
            _ = try StudyEvidence.Clustering(folder: folder)
            Issue.record("read a summary without '\(key)'")
        } catch {
            let message = "\(error)"
            #expect(message.contains("'\(key)'") && message.contains(folder + "/summary.json"), "\(message)")
        }
    }

    @Test("a missing per-sample dataset throws, naming it and result.h5")
    func missingDataset() throws {
        let root = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try Stored.folder(root, "purity", summary: Stored.puritySummary) { f in
            try f.write("/kept_rows", [Int64(0), 1, 2, 3])
            try f.write("/knn_correct_class", [Int64(1), 1, 0, 1])
        }
        #expect {
            try StudyEvidence.Clustering(folder: folder)
        } throws: { "\($0)".contains("'/knn_correct_colour'") && "\($0)".contains(folder + "/result.h5") }
    }

    @Test("gradcam: per-sample energies at the first and last epoch; object regions without a score in the summary throw")
    func gradcam() throws {
        let root = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let summary = """
        {"layers": ["layer3"], "samples": 3, "attention_on_object": {"layer": "layer3", "source": "mask", "epochs": [0, 8, 16],
         "energy_inside": [0.1, 0.2, 0.3], "pointing_hit_rate": [0, 0, 1], "chance": 0.12}}
        """
        func arrays(_ f: HDF5File) throws {
            try f.write("/epochs", [Int64(0), 8, 16])
            try f.write("/object_area_fraction", [0.1, 0.12, 0.14])
            try f.write("/epoch-0000/layer3/energy_inside", [0.1, Double.nan, 0.1])
            try f.write("/epoch-0016/layer3/energy_inside", [0.3, 0.3, 0.3])
        }
        let folder = try Stored.folder(root, "gradcam", summary: summary, write: arrays)
        let a = try #require(try StudyEvidence.Attention(folder: folder))
        #expect(a.firstEpoch == 0 && a.lastEpoch == 16 && a.last == [0.3, 0.3, 0.3] && a.first[1].isNaN && a.chance == 0.12)

        let renamed = try Stored.folder(root, "gradcam-renamed", summary: summary.replacingOccurrences(of: "attention_on_object", with: "attention"), write: arrays)
        #expect { try StudyEvidence.Attention(folder: renamed) } throws: { "\($0)".contains("'attention_on_object'") && "\($0)".contains("summary.json") }

        // No object regions at all: no score, and no error.
        let plain = try Stored.folder(root, "gradcam-plain", summary: #"{"layers": ["layer3"], "samples": 3}"#) { f in try f.write("/epochs", [Int64(0), 16]) }
        #expect(try StudyEvidence.Attention(folder: plain) == nil)
    }

    @Test("zero-grad: flags at the Grad-CAM layer, regimes and margins; a missing layer dataset throws")
    func zeroGrad() throws {
        let root = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: root) }
        let summary = #"{"diagnosis": "softmax-saturation", "diagnoses": [{"id": "softmax-saturation", "title": "Softmax saturation"}], "layers": ["layer3", "layer4"]}"#
        func arrays(_ f: HDF5File) throws {
            try f.write("/epochs", [Int64(16)])
            try f.write("/epoch-0016/regime", strings: ["rounded", "normal"])
            try f.write("/epoch-0016/margin", [30.0, 1.0])
            for layer in ["layer3", "layer4"] {
                try f.write("/epoch-0016/\(layer)/all_zero", [Int64(1), 0])
                try f.write("/epoch-0016/\(layer)/vanishing", [Int64(0), 0])
            }
        }
        let prob = try Stored.folder(root, "zero-grad-prob-float16", summary: summary, write: arrays)
        let g = try StudyEvidence.Gradients(probFloat16: prob, probFloat32: nil, logit: nil, layer: "layer3")
        #expect(g.layer == "layer3" && g.epoch == 16 && g.probFloat16.affected == [true, false] && g.regimes == ["rounded", "normal"])
        #expect(g.diagnosisTitle == "Softmax saturation")
        // A layer the detector did not check falls back to its last layer.
        #expect(try StudyEvidence.Gradients(probFloat16: prob, probFloat32: nil, logit: nil, layer: "features.6").layer == "layer4")

        let broken = try Stored.folder(root, "zero-grad-broken", summary: summary) { f in
            try f.write("/epochs", [Int64(16)])
            try f.write("/epoch-0016/regime", strings: ["rounded", "normal"])
            try f.write("/epoch-0016/margin", [30.0, 1.0])
            try f.write("/epoch-0016/layer3/all_zero", [Int64(1), 0])
        }
        #expect { try StudyEvidence.Gradients(probFloat16: broken, probFloat32: nil, logit: nil, layer: "layer3") } throws: {
            "\($0)".contains("'/epoch-0016/layer3/vanishing'")
        }
        let noTitle = try Stored.folder(root, "zero-grad-untitled", summary: summary.replacingOccurrences(of: "\"title\"", with: "\"name\""), write: arrays)
        #expect { try StudyEvidence.Gradients(probFloat16: noTitle, probFloat32: nil, logit: nil, layer: "layer3") } throws: {
            "\($0)".contains("'diagnoses.0.title'")
        }
    }

    @Test("per-sample k-NN correctness averages to the k-NN accuracy the purity analyzer reports")
    func knnCorrect() throws {
        var g = SeededGenerator(seed: 2)
        let n = 60, d = 3
        let labels = (0..<n).map { $0 % 3 }
        let x = (0..<(n * d)).map { i in Float(labels[i / d]) * 0.5 + g.nextFloat() }
        let correct = try #require(ClusterMetrics.knnCorrect(x, n: n, d: d, labels: labels, k: 5))
        #expect(correct.count == n)
        #expect(Double(correct.filter { $0 }.count) / Double(n) == ClusterMetrics.knnAccuracy(x, n: n, d: d, labels: labels, k: 5))
        #expect(ClusterMetrics.knnCorrect([Float.nan, 0, 0, 0], n: 2, d: 2, labels: [0, 1]) == nil)
    }
}
