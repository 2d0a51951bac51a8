import ArgumentParser
import Foundation
import LoupeCore

/// `loupe demo`: the whole study on built-in synthetic data, ending in a report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Reproduce the study end to end on built-in synthetic data and write the report.",
        discussion: """
        Pretrains ResNet-18 on 12 source classes (cached, so a second demo skips it), trains LittleConv from
        scratch and fine-tunes the ResNet on 8 other classes with probe dumps, probes the last checkpoints
        with the prob target, runs every analyzer and writes notebooks-out/demo/report.html and report.ipynb.

        Examples:
          loupe demo                       # about 10 minutes on two cores, less with a cached backbone
          loupe demo --quick               # tiny sizes, a minute or two
          loupe demo --seed 3 --out notebooks-out/demo-seed3 --runs runs/demo-seed3
          loupe demo --pretrained resnet18-imagenet.safetensors
        """)

    @Flag(help: "Tiny sizes (a minute or two); the findings are not expected to hold.") var quick = false
    @Option(help: "Report folder.") var out = "notebooks-out/demo"
    @Option(help: "Folder for the training runs.") var runs = "runs/demo"
    @Option(help: "Seed of the data and every random choice.") var seed: UInt64 = 0
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Epochs of the scratch run (the transfer run gets half).") var epochs: Int?
    @Option(help: "Use these ResNet-18 weights (.safetensors with torchvision keys, or a Loupe checkpoint) instead of pretraining.")
    var pretrained: String?
    @Option(help: "Data: only the built-in synthetic set is supported by the demo for now.") var data = "synthetic"

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let epochs, epochs < 2 { throw ValidationError("--epochs must be at least 2 (dumps at the first, middle and last epoch)") }
        guard data == "synthetic" else {
            throw ValidationError("loupe demo runs on the built-in synthetic data; for \(data) use loupe train, probe and compare (README: Other data)")
        }
        if let pretrained, !FileManager.default.fileExists(atPath: pretrained) {
            throw ValidationError("--pretrained \(pretrained): no such file")
        }
    }

    func run() throws {
        try reportingErrors {
            let plan = DemoPlan(seed: seed, quick: quick, threads: threads, epochs: epochs)
            let quiet = ProcessInfo.processInfo.environment["LOUPE_QUIET"] != nil
            let outcome = try DemoPipeline(plan: plan, runsFolder: runs, out: out, pretrained: pretrained, quiet: quiet).run()
            print("""
            report:   \(outcome.report)
            notebook: \(out)/report.ipynb
            runs:     \(outcome.scratch), \(outcome.finetune)
            time:     \(String(format: "%.0f", outcome.seconds)) s
            """)
        }
    }
}
