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
        // The study reads only the dumps and the last checkpoint; the dumped epochs' checkpoints stay for resume.
        training.trainer.keepCheckpoints = .dumped
        try training.run()
    }

    /// Probes a run's last checkpoint with the `prob` target, stored as float16 (as the dumps) and float32.
    func probeLast(_ folder: String) throws -> [String: String] {
        let run = RunDirectory(folder)
        let config = try run.readConfig()
        let epoch = run.checkpointEpochs().last!
        let model = try Model(checkpoint: try Checkpoint.read(run.checkpointPath(epoch: epoch)))
        model.threads = config.threads
        let data = try RunData(config: config)
        let probe = ProbeSet(dataset: data.dataset, indices: data.probeIndices, transform: data.evalTransform)
        let probesFolder = folder + "/probes"
        try FileManager.default.createDirectory(atPath: probesFolder, withIntermediateDirectories: true)
        var out: [String: String] = [:]
        for storage in [HDF5ElementType.float16, .float32] {
            let path = probesFolder + "/epoch-\(String(format: "%04d", epoch))-prob-\(storage.rawValue).h5"
            let options = DumpOptions(target: .prob, layers: config.probeLayers, storage: storage)
            try ProbeJob(model: model, probe: probe, options: options, epoch: epoch, run: URL(fileURLWithPath: folder).lastPathComponent,
                         seed: config.seed, quiet: quiet).write(to: path)
            out["prob-" + storage.rawValue] = path
        }
        out["logit"] = run.dumpPath(epoch: epoch)
        return out
    }
}
