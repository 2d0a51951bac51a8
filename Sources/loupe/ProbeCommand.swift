import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Probe
import Train

/// `loupe probe`: capture activations and gradients of a probe set from any checkpoint.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Capture per-layer activations and gradients of a probe set from a checkpoint, with any target.",
        discussion: """
        The probe set comes from the checkpoint's run (its config.json: same data, split and seed), from
        --probe-from RUN_DIR, or from --data (a seeded stratified subset). Probing a checkpoint with the same
        probe set and target reproduces the training-time dump. --images training probes as many of the run's
        training images instead (a seeded stratified subset, no augmentation): a net is most confident on what
        it was fitted on, so that is where `prob` gradients vanish first.

        Examples:
          loupe probe --checkpoint runs/ft/checkpoints/epoch-0008.h5 --target prob --out prob.h5
          loupe probe --checkpoint runs/ft/checkpoints/epoch-0008.h5 --layers 'layer4,layer3.*' --out l34.h5
          loupe probe --checkpoint runs/ft/checkpoints/epoch-0016.h5 --target prob --images training --out train-prob.h5
          loupe probe --checkpoint runs/ft/checkpoints/epoch-0008.h5 --list-layers
        """)

    @Option(help: "A checkpoint (RUN_DIR/checkpoints/epoch-NNNN.h5).") var checkpoint: String
    @Option(help: "Gradient target: logit (true class), logit-predicted, prob, loss.") var target = "logit"
    @Option(help: "Layers (torchvision names, aliases, globs), comma-separated; default: every stage.") var layers: String?
    @Option(help: "Take the probe set of this run directory (default: the checkpoint's own run).") var probeFrom: String?
    @Option(help: "Which of the run's images: held-out (its probe set) or training (as many training images).") var images = "held-out"
    @Option(help: "Probe another data set instead (synthetic[:…], fashion-mnist[:DIR], folder:DIR, cifar10:DIR).") var data: String?
    @Option(help: "Probe-set size when --data is given.") var probeSize = 256
    @Option(help: "Seed choosing the probe set when --data is given.") var seed: UInt64 = 0
    @Option(help: "Storage type: float16 or float32.") var dtype = "float16"
    @Option(help: "Compression: none or deflate[1-9].") var compression = "none"
    @Option(help: "Threads for compute.") var threads = 2
    @Option(help: "Output dump file.") var out: String?
    @Flag(help: "Print the model's layer names and output shapes, then exit.") var listLayers = false

    func validate() throws {
        guard ProbeTarget(rawValue: target) != nil else {
            throw ValidationError("unknown --target '\(target)': use \(ProbeTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["float16", "float32"].contains(dtype) else { throw ValidationError("--dtype must be float16 or float32") }
        guard HDF5Compression(parsing: compression) != nil else { throw ValidationError("--compression must be none or deflate[1-9]") }
        if !listLayers && out == nil { throw ValidationError("--out FILE.h5 is required (or --list-layers)") }
        guard probeSize >= 1 else { throw ValidationError("--probe-size must be at least 1") }
        guard ["held-out", "training"].contains(images) else { throw ValidationError("--images must be held-out or training, got '\(images)'") }
        if data != nil && images != "held-out" { throw ValidationError("--images training needs the run's split; it cannot be combined with --data") }
    }

    func run() throws {
        try reportingErrors {
            let ckpt = try Checkpoint.read(checkpoint)
            let model = try Model(checkpoint: ckpt)
            model.threads = threads
            if listLayers {
                print("\(model.name) at \(ckpt.imageSize)×\(ckpt.imageSize) (default dump layers: \(DumpLayers.defaults(for: model).joined(separator: ", ")))")
                for (name, shape) in model.layerNames(inputSize: ckpt.imageSize) {
                    print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(shape.map(String.init).joined(separator: "×"))")
                }
                return
            }
            let probe = try probeSet(for: ckpt)
            if probe.dataset.classes != ckpt.classes {
                throw LoupeError.invalidInput("the probe set's classes (\(probe.dataset.classes.count): \(probe.dataset.classes.prefix(4).joined(separator: ", "))…) differ from the checkpoint's (\(ckpt.classes.count): \(ckpt.classes.prefix(4).joined(separator: ", "))…): probe with data from the same classes")
            }
            let options = DumpOptions(target: ProbeTarget(rawValue: target)!,
                                      layers: layers?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [],
                                      storage: HDF5ElementType(rawValue: dtype)!, compression: HDF5Compression(parsing: compression)!)
            let runName = URL(fileURLWithPath: checkpoint).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
            try ProbeJob(model: model, probe: probe, options: options, epoch: ckpt.epoch, run: runName, seed: ckpt.seed).write(to: out!)
            print(out!)
        }
    }

    /// The probe set: from --data, from --probe-from, or from the checkpoint's own run directory.
    func probeSet(for ckpt: Checkpoint) throws -> ProbeSet {
        if let data {
            var config = TrainConfig()
            config.data = data
            config.imageSize = ckpt.imageSize
            config.seed = seed
            config.probeSize = probeSize
            config.validationFraction = 0.5
            let runData = try RunData(config: config)
            return ProbeSet(dataset: runData.dataset, indices: runData.probeIndices, transform: runData.evalTransform)
        }
        let runDir = probeFrom ?? URL(fileURLWithPath: checkpoint).deletingLastPathComponent().deletingLastPathComponent().path
        let run = RunDirectory(runDir)
        guard FileManager.default.fileExists(atPath: run.configPath) else {
            throw LoupeError.invalidInput("\(runDir) has no config.json, so the probe set is unknown: pass --probe-from RUN_DIR or --data SPEC")
        }
        let config = try run.readConfig()
        guard config.imageSize == ckpt.imageSize else {
            throw LoupeError.invalidInput("\(runDir) shows images at \(config.imageSize) px; the checkpoint was trained at \(ckpt.imageSize) px")
        }
        let runData = try RunData(config: config)
        let indices = images == "training" ? try runData.trainingProbeIndices(count: config.probeSize, seed: config.seed) : runData.probeIndices
        return ProbeSet(dataset: runData.dataset, indices: indices, transform: runData.evalTransform)
    }
}
