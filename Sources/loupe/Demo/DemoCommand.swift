import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Study
import Train

/// `loupe demo`: the whole study on built-in synthetic data, ending in a report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Reproduce the study end to end (built-in synthetic data by default) and write the report.",
        discussion: """
        Pretrains ResNet-18 on 12 source classes (cached, so a second demo skips it), trains LittleConv from scratch and fine-tunes the ResNet on 8 other classes with probe dumps, probes the last checkpoints with the prob target, runs every analyzer and writes notebooks-out/demo/report.html and report.ipynb.

        Examples:
          loupe demo                       # ~7 min on 2 cores, ~2 once cached
          loupe demo --quick               # tiny sizes, a minute or two
          loupe demo --seed 3 --out notebooks-out/demo-seed3 --runs runs/demo-seed3
          loupe demo --pretrained resnet18-imagenet.safetensors
          loupe demo --data fashion-mnist  # even labels pretrain, odd ones are studied
          loupe demo --data folder:~/data/StanfordDogs --classes 8 \\
                     --pretrained resnet18.safetensors
        """)

    @Flag(help: "Tiny sizes (a minute or two); the findings are not expected to hold.") var quick = false
    @Option(help: "Report folder.") var out = "notebooks-out/demo"
    @Option(help: "Folder for the training runs.") var runs = "runs/demo"
    @Option(help: "Seed of the data and every random choice.") var seed: UInt64 = 0
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Epochs of both training runs (default 16; dumps at the first, middle and last).") var epochs: Int?
    @Option(help: "Use these ResNet-18 weights (.safetensors with torchvision keys, or a Loupe checkpoint) instead of pretraining.")
    var pretrained: String?
    @Option(help: "synthetic (built in), fashion-mnist[:DIR] (Debian's dataset-fashion-mnist) or folder:DIR (one folder per class; needs --pretrained).")
    var data = "synthetic"
    @Option(help: "With folder data: how many classes (the first ones, by folder name) the study uses.") var classes = 8
    @Option(help: "Square image size in pixels (default 64; 128 for folder data).") var imageSize: Int?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let epochs, epochs < 2 { throw ValidationError("--epochs must be at least 2 (dumps at the first, middle and last epoch)") }
        let parsed: DemoData
        do { parsed = try DemoData(parsing: data, folderClasses: classes) } catch { throw ValidationError("--data: \(error)") }
        guard classes >= 2 else { throw ValidationError("--classes must be at least 2") }
        if let imageSize, imageSize < 32 { throw ValidationError("--image-size \(imageSize) is too small for ResNet-18 (32 or more)") }
        switch parsed {
        case .synthetic: break
        case .fashionMNIST(let directory):
            guard FileManager.default.fileExists(atPath: directory + "/train-images-idx3-ubyte.gz")
                    || FileManager.default.fileExists(atPath: directory + "/train-images-idx3-ubyte") else {
                throw ValidationError("no Fashion-MNIST in \(directory): install it with `sudo apt install dataset-fashion-mnist` "
                                      + "(or `make demo-fashion-mnist`), or pass --data fashion-mnist:DIR")
            }
        case .folder(let directory, _):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--data folder:\(directory): no such folder")
            }
            guard pretrained != nil else {
                throw ValidationError("--data folder:… needs --pretrained FILE: ResNet-18 weights such as torchvision's ImageNet ones "
                                      + "converted to .safetensors (README: Other data), since the synthetic backbone knows no photos")
            }
        }
        if let pretrained, !FileManager.default.fileExists(atPath: pretrained) {
            throw ValidationError("--pretrained \(pretrained): no such file")
        }
    }

    func run() throws {
        try reportingErrors {
            var demoData = try DemoData(parsing: data, folderClasses: classes)
            if case .folder(let directory, let wanted) = demoData {
                // Fewer class folders than asked: use them all, and say so.
                let available = try FolderDataset(directory: directory).classes.count
                guard available >= 2 else { throw LoupeError.invalidInput("\(directory) has \(available) class folder(s); the study needs at least 2") }
                if available < wanted {
                    FileHandle.standardError.write(Data("note: \(directory) has \(available) classes; using all of them\n".utf8))
                    demoData = .folder(directory: directory, classes: available)
                }
            }
            let plan = DemoPlan(seed: seed, quick: quick, threads: threads, epochs: epochs, data: demoData, imageSize: imageSize)
            let quiet = ProcessInfo.processInfo.environment["LOUPE_QUIET"] != nil
            let outcome = try DemoPipeline(plan: plan, runsFolder: runs, out: out, pretrained: pretrained, quiet: quiet).run()
            // What the study found comes first; the paths follow.
            print("findings:")
            for finding in outcome.findings { print("  " + finding.line) }
            print("""
            backbone: \(outcome.backbone.path) (\(outcome.backbone.accuracyText))
            report:   \(outcome.report)
            notebook: \(out)/report.ipynb
            runs:     \(outcome.scratch), \(outcome.finetune)
            time:     \(String(format: "%.0f", outcome.seconds)) s
            """)
        }
    }
}
