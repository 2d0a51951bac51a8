import Foundation
import LoupeCore
import Testing

@Suite("loupe train and loupe probe from the command line")
struct TrainProbeCommandTests {
    let tinyData = "synthetic:classes=3,per-class=10,size=16,seed=1"

    @Test("train writes a run, probe reads its checkpoint, inspect shows every documented dataset; bad input fails clearly")
    func trainProbeInspect() throws {
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run"
        let train = try loupe(["train", "--model", "littleconv", "--channels", "4,8,8,8", "--data", tinyData, "--image-size", "16",
                               "--epochs", "2", "--batch-size", "8", "--dump-epochs", "0,2", "--probe-size", "6", "--out", run])
        #expect(train.status == 0, "\(train.err)")
        #expect(FileManager.default.fileExists(atPath: run + "/dumps/epoch-0000.h5"))
        #expect(FileManager.default.fileExists(atPath: run + "/dumps/epoch-0002.h5"))
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/epoch-0002.h5"))
        // --keep-checkpoints dumped (the default): epoch 1 was neither dumped nor the newest.
        #expect(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { !$0.hasPrefix(".") } == ["epoch-0002.h5"])

        let checkpoint = run + "/checkpoints/epoch-0002.h5"
        let list = try loupe(["probe", "--checkpoint", checkpoint, "--list-layers"])
        #expect(list.status == 0)
        #expect(list.out.contains("features.15") && list.out.contains("8×1×1"))

        let out = folder + "/prob.h5"
        let probe = try loupe(["probe", "--checkpoint", checkpoint, "--target", "prob", "--layers", "features.1*", "--out", out])
        #expect(probe.status == 0, "\(probe.err)")
        let tree = try loupe(["inspect", "--json", out])
        let json = try JSONDecoder().decode(HDF5Tree.self, from: Data(tree.out.utf8))
        var paths: [String] = []
        func walk(_ n: HDF5Tree.Node) { paths.append(n.path); n.children?.forEach(walk) }
        walk(json.root)
        for documented in ["/probe/images", "/probe/labels", "/probe/ids", "/probe/classes", "/probe/meta/mean_rgb", "/probe/meta/background",
                           "/probe/meta/box", "/probe/meta/mask", "/logits", "/probabilities", "/target_values", "/embedding",
                           "/activations/features.11", "/gradients/features.15"] {
            #expect(paths.contains(documented), "missing \(documented)")
        }
        #expect(json.root.attributes["target"] == "\"prob\"")

        // Unknown layer: the message lists valid names.
        let badLayer = try loupe(["probe", "--checkpoint", checkpoint, "--layers", "layer4", "--out", folder + "/x.h5"])
        #expect(badLayer.status != 0)
        #expect(badLayer.err.contains("no layer 'layer4'") && badLayer.err.contains("features.15"))
        // Unwritable output: one line, non-zero, nothing left behind.
        let unwritable = try loupe(["probe", "--checkpoint", checkpoint, "--out", "/proc/loupe-cannot-write.h5"])
        #expect(unwritable.status != 0)
        #expect(unwritable.err.hasPrefix("loupe: error:"))
        // A probe set from other classes is refused.
        let other = try loupe(["probe", "--checkpoint", checkpoint, "--data", "synthetic:split=source,classes=4,per-class=4,size=16", "--out", folder + "/y.h5"])
        #expect(other.status != 0)
        #expect(other.err.contains("differ from the checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.h5") && !FileManager.default.fileExists(atPath: folder + "/y.h5"))
        // Export: the checkpoint's state_dict as safetensors, read back equal (PyTorch reads the same format).
        let exported = folder + "/model.safetensors"
        let export = try loupe(["export", "--checkpoint", checkpoint, "--out", exported])
        #expect(export.status == 0, "\(export.err)")
        let header = try Data(contentsOf: URL(fileURLWithPath: exported))
        #expect(header.count > 8 && String(decoding: header.prefix(400), as: UTF8.self).contains("features.0.weight"))
        // Resuming a finished run says so in one line and succeeds, so a retry wrapper may always call it.
        let checkpointsBefore = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted()
        let resume = try loupe(["train", "--resume", run])
        #expect(resume.status == 0, "\(resume.err)")
        #expect(resume.err.contains("is complete") && resume.err.split(separator: "\n").count == 1, "\(resume.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted() == checkpointsBefore)
    }

    @Test("train rejects bad options with a message naming the option", arguments: [
        (["--model", "vgg16", "--out", "/tmp/x"], "vgg16"),
        (["--out", "/tmp/x", "--optimizer", "rmsprop"], "rmsprop"),
        (["--model", "resnet18", "--image-size", "16", "--out", "/tmp/x"], "too small"),
        (["--epochs", "3"], "--out"),
        (["--out", "/tmp/x", "--data", "folder:/definitely/not/here"], "/definitely/not/here"),
        (["--out", "/tmp/x", "--keep-checkpoints", "0"], "--keep-checkpoints"),
        (["--resume", "/tmp/x", "--keep-checkpoints", "some"], "dumped or all"),
    ])
    func badOptions(arguments: [String], mention: String) throws {
        let result = try loupe(["train"] + arguments)
        #expect(result.status != 0)
        #expect(result.err.contains(mention), "\(result.err)")
    }

    @Test("train --help says what --keep-checkpoints keeps")
    func keepCheckpointsHelp() throws {
        let help = try loupe(["train", "--help"])
        #expect(help.status == 0)
        let text = help.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // the help wraps at the terminal width
        #expect(text.contains("--keep-checkpoints <keep-checkpoints>") && text.contains("`dumped` (default) keeps the checkpoints of the --dump-epochs and the newest one"), "\(help.out)")
    }
}
