import Analyzers
import Foundation
import LoupeCore
import Probe
import Train

/// `loupe demo` end to end: pretrain (or reuse) a backbone, train scratch and transfer runs with dumps,
/// probe the last checkpoints with the `prob` target, run every analyzer and write the report.
public struct DemoPipeline {
    public var plan: DemoPlan
    public var runsFolder: String
    public var out: String
    public var pretrained: String?
    public var quiet: Bool

    public init(plan: DemoPlan, runsFolder: String, out: String, pretrained: String?, quiet: Bool) {
        self.plan = plan
        self.runsFolder = runsFolder
        self.out = out
        self.pretrained = pretrained
        self.quiet = quiet
    }

    public struct Outcome {
        public var scratch: String
        public var finetune: String
        public var report: String
        public var seconds: Double
        public var findings: [DemoFindings.Finding]
        public var backbone: Backbone
    }

    public func run() throws -> Outcome {
        let steps = DemoSteps([
            .init(title: pretrained == nil ? "Pretrain ResNet-18 on the source classes" : "Load the given ResNet-18 weights",
                  weight: pretrained == nil ? Double(plan.sourcePerClass * 12 * plan.sourceEpochs) / 60 : 1),
            .init(title: "Train LittleConv from scratch on the target classes", weight: pixelScale * Double(plan.targetPerClass * plan.targetClassCount / 2 * plan.scratchEpochs) / 150 + 6),
            .init(title: "Fine-tune the pretrained ResNet-18 on the target classes", weight: pixelScale * Double(plan.targetPerClass * plan.targetClassCount / 2 * plan.finetuneEpochs) / 60 + 6),
            .init(title: "Probe the last checkpoints with the prob target", weight: 4),
            .init(title: "Run the analyzers and compare the runs", weight: 25),
            .init(title: "Write the report", weight: 2),
        ], quiet: quiet)
        try FileManager.default.createDirectory(atPath: runsFolder, withIntermediateDirectories: true)

        steps.begin(0)
        let backbone = try pretrainedBackbone()

        steps.begin(1, note: "\(plan.targetClassCount) classes, \(plan.targetPerClass / 2) training images per class, \(plan.scratchEpochs) epochs")
        let scratch = runsFolder + "/scratch"
        try train(plan.scratchConfig, into: scratch)

        steps.begin(2, note: "\(plan.finetuneEpochs) epochs, SGD")
        let finetune = runsFolder + "/pretrained"
        try train(plan.finetuneConfig(pretrained: backbone.path), into: finetune)

        steps.begin(3)
        var probes: [String: [String: String]] = [:]
        for (name, folder) in [("scratch", scratch), ("pretrained", finetune)] {
            probes[name] = try probeLast(folder)
        }

        steps.begin(4)
        let analyses = try DemoAnalyses(plan: plan, out: out, runs: ["scratch": scratch, "pretrained": finetune], probes: probes, quiet: quiet).run()

        steps.begin(5)
        let (report, findings) = try DemoReport(plan: plan, out: out, runs: [("scratch", scratch), ("pretrained", finetune)], analyses: analyses,
                                                backbone: backbone, seconds: steps.elapsed).write()
        return Outcome(scratch: scratch, finetune: finetune, report: report, seconds: steps.elapsed, findings: findings, backbone: backbone)
    }

    /// Relative cost of one image against the demo's default 64 px.
    var pixelScale: Double { Double(plan.imageSize * plan.imageSize) / (64 * 64) }

    /// The pretrained ResNet-18: `--pretrained`, the cache, or a new source training run (then cached,
    /// with its metrics.csv beside it so a cached backbone still reports its source accuracy).
    func pretrainedBackbone() throws -> Backbone {
        if let pretrained {
            return Backbone(path: pretrained, note: "given with --pretrained; its accuracy on its own source task is not measured here")
        }
        let cacheFolder = DemoPipeline.cacheFolder + "/pretrained"
        let cached = cacheFolder + "/resnet18-source-\(plan.sourceCacheKey).h5"
        let metrics = Backbone.metricsPath(cached)
        if FileManager.default.fileExists(atPath: cached) {
            if !quiet { FileHandle.standardError.write(Data("using the cached backbone \(cached)\n".utf8)) }
            return Backbone(path: cached, metricsFile: metrics)
        }
        let source = runsFolder + "/source"
        try train(plan.sourceConfig, into: source)
        let last = RunDirectory(source).checkpointEpochs().last!
        try FileManager.default.createDirectory(atPath: cacheFolder, withIntermediateDirectories: true)
        // The metrics first: whenever the cached weights exist, their source accuracy does too.
        try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: RunDirectory(source).metricsPath)), to: metrics)
        let data = try Data(contentsOf: URL(fileURLWithPath: RunDirectory(source).checkpointPath(epoch: last)))
        try AtomicFile.write(data, to: cached)
        // The cache now holds the weights and the metrics; the source run's checkpoints (a few hundred MB
        // with AdamW's state) would only double them in runs/.
        try? FileManager.default.removeItem(atPath: source)
        if !quiet { FileHandle.standardError.write(Data("pretrained backbone cached at \(cached); its training folder \(source) removed\n".utf8)) }
        return Backbone(path: cached, metricsFile: metrics)
    }

    /// Where the demo caches its pretrained backbone ($XDG_CACHE_HOME/loupe or ~/.cache/loupe).
    public static var cacheFolder: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/loupe" }
        return (env["HOME"] ?? NSTemporaryDirectory()) + "/.cache/loupe"
    }

    /// Trains into a fresh run folder (an earlier demo run there is replaced; other folders are refused).
    func train(_ config: TrainConfig, into folder: String) throws {
        let run = RunDirectory(folder)
        if FileManager.default.fileExists(atPath: folder) {
            guard FileManager.default.fileExists(atPath: run.configPath) else {
                throw LoupeError.invalidInput("\(folder) exists and is not a Loupe run; the demo will not overwrite it (choose another --runs)")
            }
            try FileManager.default.removeItem(atPath: folder)
        }
        let training = try ProbedTraining(config: config, run: run)
        training.trainer.quiet = quiet
        // The study reads the dumps and the last checkpoint only, so only the newest checkpoint stays (with
        // SGD's momentum a ResNet-18 checkpoint is 90 MB; runs/demo stays under 500 MB). The newest is also
        // what a killed run resumes from, and it is written before the epoch's dump, so a dump cut short by a
        // kill is written again from it.
        training.trainer.keepCheckpoints = .last(1)
        try training.run()
    }

    /// Probes a run's last checkpoint with the `prob` target, stored as float16 (as the dumps) and float32, on
    /// the held-out probe set; and with `prob` and `logit` on as many of the run's *training* images.
    ///
    /// Finding (d) rests on the training images: the study saw its gradients vanish on the images it had,
    /// and a net fitted without augmentation is confident on what it trained on, which is where the
    /// softmax saturates. The held-out figures are reported beside them. Keys: `prob-float16`,
    /// `prob-float32`, `logit` (the training-time dump), and the same with a `train-` prefix.
    func probeLast(_ folder: String) throws -> [String: String] {
        let run = RunDirectory(folder)
        let config = try run.readConfig()
        let epoch = run.checkpointEpochs().last!
        let model = try Model(checkpoint: try Checkpoint.read(run.checkpointPath(epoch: epoch)))
        model.threads = config.threads
        let data = try RunData(config: config)
        let heldOut = ProbeSet(dataset: data.dataset, indices: data.probeIndices, transform: data.evalTransform)
        let trainingIndices = try data.trainingProbeIndices(count: config.probeSize, seed: config.seed)
        let training = ProbeSet(dataset: data.dataset, indices: trainingIndices, transform: data.evalTransform)
        let probesFolder = folder + "/probes"
        try FileManager.default.createDirectory(atPath: probesFolder, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: folder).lastPathComponent
        let stem = probesFolder + "/epoch-\(String(format: "%04d", epoch))"
        var out: [String: String] = [:]
        let jobs: [(key: String, set: ProbeSet, target: ProbeTarget, storage: HDF5ElementType)] = [
            ("prob-float16", heldOut, .prob, .float16), ("prob-float32", heldOut, .prob, .float32),
            ("train-prob-float16", training, .prob, .float16), ("train-prob-float32", training, .prob, .float32),
            ("train-logit", training, .logit, .float16),
        ]
        for job in jobs {
            let path = stem + "-\(job.key).h5"
            // Only the Grad-CAM layer, where finding (d) looks: a few MB per file instead of a dump's size.
            let options = DumpOptions(target: job.target, layers: [plan.camLayer(for: config)], storage: job.storage)
            try ProbeJob(model: model, probe: job.set, options: options, epoch: epoch, run: name, seed: config.seed, quiet: quiet).write(to: path)
            out[job.key] = path
        }
        out["logit"] = run.dumpPath(epoch: epoch)
        return out
    }
}
