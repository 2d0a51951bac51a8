import Foundation
import Train

/// The sizes and schedules of the built-in study.
///
/// Chosen from ../shared/notes/synthetic-study-prototype.md: a *small* target set (32 training images per
/// class, as the scratch net in the study saw few photos per breed), a backbone pretrained on 12 disjoint
/// source classes until it generalises, background colour independent of the class, and findings measured
/// on 256 held-out probe images.
public struct DemoPlan: Codable {
    public var seed: UInt64
    public var quick: Bool
    public var threads: Int
    public var data: DemoData = .synthetic
    public var imageSize = 64
    /// The synthetic backbone trains at 48 px on objects of radius 0.3–0.4 of the side: 14–19 px, the
    /// pixel size of the target's objects at 64 px (0.2–0.3 × 64), so its filters fit the fine-tuning
    /// images; 48 px costs about 0.7× of 64 px per image. Fresh generated images stand in for
    /// augmentation (each is seen twice), which made the net learn about twice as fast per step.
    /// docs/study-backbone.md logs what was tried (32 px backbones reached 0.91 on their own task but
    /// transferred badly: 10-NN 0.31 on the target at 64 px).
    public var sourceImageSize = 48
    public var sourceRadius = "0.3-0.4"
    public var sourcePerClass = 600
    public var sourceEpochs = 2
    public var targetPerClass = 64          // half of them held out: 32 train + 32 probe/validation per class
    public var scratchEpochs = 16
    /// At a constant rate 12 epochs saturate as many training images as 16 (54 against 47 of 256, seed 0) in 3/4 of the time.
    public var finetuneEpochs = 12
    public var batchSize = 32
    public var probeSize = 256

    public init(seed: UInt64, quick: Bool, threads: Int, epochs: Int?, data: DemoData = .synthetic, imageSize: Int? = nil) {
        self.seed = seed
        self.quick = quick
        self.threads = threads
        self.data = data
        switch data {
        case .synthetic: break
        case .fashionMNIST:
            // 5 source classes × 600 = the synthetic backbone's 3,000 images; 5 target classes × 104 leave
            // 52 held out per class, enough for the 256-image probe set. Images are upscaled 28 → 64 px so the
            // architectures and Grad-CAM layers are the synthetic study's.
            sourcePerClass = 600
            targetPerClass = 104
        case .folder(_, let classes):
            // Real photos need more pixels than creatures; ImageNet weights come from --pretrained. Half of
            // each class is held out, enough for the probe set when the folders are large enough.
            self.imageSize = 128
            targetPerClass = max(64, 2 * ((probeSize + classes - 1) / classes))
        }
        if let imageSize { self.imageSize = imageSize }
        if quick {
            sourcePerClass = 12
            sourceEpochs = 1
            probeSize = 32
            targetPerClass = 2 * ((probeSize + targetClassCount - 1) / targetClassCount)  // 8 for 8 classes
            scratchEpochs = 2
            finetuneEpochs = 2
            batchSize = 16
            if case .folder = data { self.imageSize = imageSize ?? 64 }
        }
        if let epochs {
            scratchEpochs = max(epochs, 2)
            finetuneEpochs = max(epochs, 2)
        }
    }

    /// Target classes the study trains on (as many as the data gives for folders).
    var targetClassCount: Int {
        switch data {
        case .synthetic: return 8
        case .fashionMNIST: return DemoData.fashionTargetClasses.count
        case .folder(_, let classes): return classes
        }
    }

    /// The backbone is a fixed artifact, like ImageNet weights: its data and seed do not follow `--seed`, so
    /// demos with other seeds reuse the cached backbone and vary only the study itself.
    static let sourceSeed: UInt64 = 1000
    var sourceData: String {
        switch data {
        case .synthetic:
            return "synthetic:split=source,per-class=\(sourcePerClass),seed=\(DemoPlan.sourceSeed),size=\(sourceImageSize),radius=\(sourceRadius)"
        case .fashionMNIST, .folder: return data.spec
        }
    }
    var targetData: String {
        switch data {
        case .synthetic: return "synthetic:split=target,per-class=\(targetPerClass),seed=\(seed),size=\(imageSize)"
        case .fashionMNIST, .folder: return data.spec
        }
    }

    /// ResNet-18 on the source classes: the stand-in for ImageNet pretraining.
    var sourceConfig: TrainConfig {
        var c = base
        c.model = "resnet18"
        c.data = sourceData
        if case .fashionMNIST = data {
            c.classes = DemoData.fashionSourceClasses
            c.perClass = sourcePerClass
        }
        c.epochs = sourceEpochs
        c.optimizer = "adamw"
        c.lr = 2e-3
        c.weightDecay = 5e-4
        c.validationFraction = 0.1
        c.probeSize = 1
        c.seed = DemoPlan.sourceSeed
        // Fine-tuning normalises as for ImageNet weights; the backbone's BatchNorm statistics must match.
        c.normalization = "imagenet"
        if case .synthetic = data {
            c.imageSize = sourceImageSize
            c.augment = false
            // One warm-up epoch before the cosine; none in a one-epoch quick run (warm-up must leave steps).
            c.warmupEpochs = sourceEpochs > 1 ? 1 : 0
        }
        return c
    }

    /// LittleConv from scratch with augmentation on the small target set.
    var scratchConfig: TrainConfig {
        var c = base
        c.model = "littleconv"
        c.epochs = scratchEpochs
        c.optimizer = "adamw"
        c.lr = 1e-3
        c.weightDecay = 5e-4
        c.dumpEpochs = [0, scratchEpochs / 2, scratchEpochs]
        // Every default stage but the first pool, whose 32×32 maps would make up 40 % of each dump and
        // which no finding reads (runs/demo stays under 500 MB).
        let stages = c.channels.count
        if stages >= 3 {
            c.probeLayers = (1..<(stages - 1)).map { "features.\(4 * $0 + 3)" } + ["features.\(4 * stages - 2)", "features.\(4 * stages - 1)"]
        }
        return c
    }

    /// ResNet-18 transfer as the study did it: pretrained backbone, new fc, everything fine-tuned with SGD
    /// at a constant rate (the backbone at a fiftieth of the head's) and, unlike the scratch net, no
    /// augmentation — so late in training it grows confident on its training images, which is where `prob`
    /// gradients vanish.
    func finetuneConfig(pretrained: String) -> TrainConfig {
        var c = base
        c.model = "resnet18"
        c.epochs = finetuneEpochs
        c.optimizer = "sgd"
        // The head at a constant 0.05 grows confident on its training images, as a fine-tune left running
        // does; the backbone at 0.001 (0.003 threw a good backbone's features away in the first epochs).
        // A cosine decay froze the margins early: 5 of 256 training images saturated against 47 at a
        // constant rate over 16 epochs, and 54 over 12 (seed 0; val 0.742 against scratch 0.488;
        // docs/study-backbone.md).
        c.lr = 0.05
        c.backboneLRScale = 0.02
        c.schedule = "constant"
        c.augment = false
        c.momentum = 0.9
        c.weightDecay = 5e-4
        c.pretrained = pretrained
        c.dumpEpochs = [0, finetuneEpochs / 2, finetuneEpochs]
        // layer4 is 2×2 at 64 px: too coarse for Grad-CAM, so layer3 (4×4) is recorded as well; layer1
        // (16×16 maps, half of each dump) is left out, as no finding reads it.
        c.probeLayers = ["layer2", "layer3", "layer4"]
        return c
    }

    /// The Grad-CAM layer of a run: the finest-scored stage whose map is at least 4×4 (ResNet-18's layer4
    /// is 2×2 at 64 px), or LittleConv's last conv layer.
    public func camLayer(for config: TrainConfig) -> String {
        switch config.model {
        case "resnet18": return imageSize >= 128 ? "layer4" : "layer3"
        default: return "features.\(4 * config.channels.count - 2)"
        }
    }

    private var base: TrainConfig {
        var c = TrainConfig()
        c.data = targetData
        switch data {
        case .synthetic: break
        case .fashionMNIST:
            c.classes = DemoData.fashionTargetClasses
            c.perClass = targetPerClass
        case .folder(_, let classes):
            c.classes = Array(0..<classes)
            c.perClass = targetPerClass
        }
        c.imageSize = imageSize
        c.seed = seed
        c.threads = threads
        c.batchSize = batchSize
        c.schedule = "cosine"
        c.validationFraction = 0.5
        c.probeSize = probeSize
        c.probeTarget = "logit"
        c.dumpDType = "float16"
        return c
    }

    /// A key for the cached pretrained backbone: every field of its config, and the numerics of this build
    /// on this machine (one real training step of that config, computed now: generator, augmentation,
    /// kernels, BLAS and optimizer). A changed setting, kernel or CPU path trains a new backbone instead of
    /// reusing weights this code would not have produced.
    var sourceCacheKey: String {
        let c = sourceConfig
        // If the step cannot even be built, training the backbone fails next with the same error; the
        // key only has to differ from every real one.
        let numerics = (try? Trainer.numericsFingerprint(c)) ?? "unavailable"
        return c.weightsKey(numerics: numerics)
    }
}
