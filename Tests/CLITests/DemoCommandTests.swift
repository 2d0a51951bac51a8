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
            // Re-probed: held-out prob (float16, float32) and the training images (prob float16 and float32, logit).
            for key in ["prob-float16", "prob-float32", "train-prob-float16", "train-prob-float32", "train-logit"] {
                #expect(fm.fileExists(atPath: runs + "/\(run)/probes/epoch-0002-\(key).h5"), "\(run): missing probe \(key)")
            }
        }
        // The training-image probe holds training images, none of the held-out probe set's.
        let heldOutIDs = try HDF5File.open(runs + "/pretrained/dumps/epoch-0002.h5").dataset("/probe/ids").readStrings()
        let trainingIDs = try HDF5File.open(runs + "/pretrained/probes/epoch-0002-train-prob-float16.h5").dataset("/probe/ids").readStrings()
        #expect(!trainingIDs.isEmpty && Set(trainingIDs).isDisjoint(with: heldOutIDs), "\(trainingIDs.prefix(4)) vs \(heldOutIDs.prefix(4))")
        // The backbone was cached for the next demo, with its metrics; its training folder was removed (the cache holds the weights).
        let cached = try fm.contentsOfDirectory(atPath: folder + "/cache/loupe/pretrained")
        #expect(cached.contains { $0.hasSuffix(".h5") } && cached.contains { $0.hasSuffix(".csv") }, "\(cached)")
        #expect(!fm.fileExists(atPath: runs + "/source"))

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
        // (a)'s effect is the paired difference of the per-sample k-NN indicators: the accuracies' difference.
        #expect(abs(a["effect"]! - (a["knn_class_pretrained"]! - a["knn_class_scratch"]!)) < 1e-9, "\(a)")
        #expect(a["effect_ci_lower"]! <= a["effect"]! && a["effect"]! <= a["effect_ci_upper"]!)
        for letter in ["a", "b", "c", "d"] {
            let finding = findings[letter] as! [String: Any]
            #expect(["holds", "not shown", "contradicted", "not measurable"].contains(finding["verdict"] as? String ?? ""), "\(finding)")
        }
        // The bootstrap's seed and resamples, and the backbone's source accuracy, are recorded.
        let bootstrap = summary["bootstrap"] as! [String: Any]
        #expect(bootstrap["seed"] as? Int == 0 && (bootstrap["resamples"] as? Int ?? 0) >= 1000)
        let backbone = summary["backbone"] as! [String: Any]
        let accuracy = try #require(backbone["source_validation_accuracy"] as? Double, "\(backbone)")
        #expect(accuracy >= 0 && accuracy <= 1)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Findings") && html.contains("95 % CI") && html.contains("validation accuracy on its source classes"))
        #expect(!html.contains("src=\"http"))  // self-contained
        #expect(html.utf8.count < 5_000_000, "report.html is \(html.utf8.count) bytes")
        #expect(!html.contains("✅") && !html.contains("❌"))  // emoji Chromium on Debian draws as empty boxes

        // The terminal says what the study found, one line a finding, before the paths.
        let lines = result.out.split(separator: "\n").map(String.init)
        let found = try #require(lines.firstIndex(of: "findings:"), "\(result.out)")
        let report = try #require(lines.firstIndex { $0.hasPrefix("report:") })
        #expect(found < report)
        for (k, letter) in ["a", "b", "c", "d"].enumerated() {
            let line = lines[found + 1 + k]
            #expect(line.hasPrefix("  (\(letter)) "), "\(line)")
            let verdict = ["holds", "not shown", "contradicted", "not measurable"].first { line.hasPrefix("  (\(letter)) \($0): ") }
            #expect(verdict != nil, "\(line)")
            if verdict != "not measurable" { #expect(line.contains("95 % CI"), "\(line)") }
            #expect(!line.contains("**") && !line.contains("`"), "\(line)")
        }
    }

    @Test("demo --data folder:DIR --pretrained FILE runs the study on class folders, and their VOC boxes feed finding (c)")
    func quickFolderDemo() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try loupe(["bench", "make-folder", "--out", folder + "/dogs", "--classes", "4", "--per-class", "16", "--size", "72"])
        #expect(made.status == 0, "make-folder failed: \(made.err.suffix(1000))")
        // Any ResNet-18 in torchvision's keys will do: one epoch on a few synthetic images, exported as PyTorch would ship it.
        let trained = try loupe(["train", "--model", "resnet18", "--data", "synthetic:split=source,per-class=2,size=32", "--image-size", "32",
                                 "--epochs", "1", "--batch-size", "8", "--validation-fraction", "0.5", "--out", folder + "/backbone"])
        #expect(trained.status == 0, "train failed: \(trained.err.suffix(1000))")
        let exported = try loupe(["export", "--checkpoint", folder + "/backbone/checkpoints/epoch-0001.h5", "--out", folder + "/resnet18.safetensors"])
        #expect(exported.status == 0, "export failed: \(exported.err.suffix(1000))")

        let out = folder + "/report"
        let result = try loupe(["demo", "--quick", "--data", "folder:" + folder + "/dogs", "--pretrained", folder + "/resnet18.safetensors",
                                "--out", out, "--runs", folder + "/runs"], environment: ["XDG_CACHE_HOME": folder + "/cache"])
        #expect(result.status == 0, "demo failed: \(result.err.suffix(2000))")
        #expect(result.err.contains("4 classes; using all of them"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let findings = summary["findings"] as! [String: [String: Any]]
        // The folder has boxes, so the attention-on-object score exists for both runs.
        #expect(findings["c"]?["measurable"] as? Bool == true)
        let c = findings["c"]?["numbers"] as? [String: Double] ?? [:]
        #expect(c["energy_first_scratch"] != nil && c["energy_last_pretrained"] != nil, "\(c)")
        // No backbone was pretrained or cached: the given weights were used.
        #expect(!FileManager.default.fileExists(atPath: folder + "/cache/loupe/pretrained"))
        let config = try String(contentsOfFile: folder + "/runs/pretrained/config.json", encoding: .utf8)
        #expect(config.contains("resnet18.safetensors"))
    }

    @Test("demo rejects data it cannot run on, saying what to do", arguments: [
        (["--data", "folder:/nonexistent-loupe-folder"], "no such folder"),
        (["--data", "cifar10:/tmp"], "loupe train"),
        (["--data", "fashion-mnist:/nonexistent-loupe-folder"], "apt install dataset-fashion-mnist"),
        (["--data", "synthetic:per-class=3"], "without options"),
    ])
    func rejectsUnsupportedData(arguments: [String], mention: String) throws {
        let result = try loupe(["demo"] + arguments + ["--out", "/tmp/loupe-never-written", "--runs", "/tmp/loupe-never-written-runs"])
        #expect(result.status != 0)
        #expect(result.err.contains(mention), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/loupe-never-written"))
    }

    @Test("demo --data folder:DIR without --pretrained is refused, pointing at where weights come from")
    func folderNeedsPretrained() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/Images/a", withIntermediateDirectories: true)
        let result = try loupe(["demo", "--data", "folder:" + folder, "--out", folder + "/out", "--runs", folder + "/runs"])
        #expect(result.status != 0)
        #expect(result.err.contains("--pretrained"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/runs"))
    }

    /// The class k-NN accuracy as the purity analyzer stored it (first of `class_metrics`, per its description).
    func storedKNN(_ file: HDF5File) throws -> Double {
        let metrics = try file.dataset("class_metrics")
        #expect(try metrics.attribute("description")?.stringValue?.contains("knn_accuracy, nmi") == true)
        return try metrics.read(as: Double.self)[0]
    }
}
