import Foundation
import Train

/// The sizes and schedules of the built-in study.
///
/// Chosen from ../shared/notes/synthetic-study-prototype.md: a *small* target set (32 training images per
/// class, as the scratch net in the study saw few photos per breed), a backbone pretrained on 12 disjoint
/// source classes until it generalises, background colour independent of the class, and findings measured
/// on 256 held-out probe images.
struct DemoPlan: Codable {
    var seed: UInt64
    var quick: Bool
    var threads: Int
    var imageSize = 64
    var sourcePerClass = 250
    var sourceEpochs = 6
    var targetPerClass = 64          // half of them held out: 32 train + 32 probe/validation per class
    var scratchEpochs = 16
    var finetuneEpochs = 16
    var batchSize = 32
    var probeSize = 256

    init(seed: UInt64, quick: Bool, threads: Int, epochs: Int?) {
        self.seed = seed
        self.quick = quick
        self.threads = threads
        if quick {
            sourcePerClass = 12
            sourceEpochs = 1
            targetPerClass = 8
            scratchEpochs = 2
            finetuneEpochs = 2
            batchSize = 16
            probeSize = 32
        }
        if let epochs {
            scratchEpochs = max(epochs, 2)
            finetuneEpochs = max(epochs, 2)
        }
    }

    /// The backbone is a fixed artifact, like ImageNet weights: its data and seed do not follow `--seed`, so
    /// demos with other seeds reuse the cached backbone and vary only the study itself.
    static let sourceSeed: UInt64 = 1000
    var sourceData: String { "synthetic:split=source,per-class=\(sourcePerClass),seed=\(DemoPlan.sourceSeed),size=\(imageSize)" }
    var targetData: String { "synthetic:split=target,per-class=\(targetPerClass),seed=\(seed),size=\(imageSize)" }

    /// ResNet-18 on the source classes: the stand-in for ImageNet pretraining.
    var sourceConfig: TrainConfig {
        var c = base
        c.model = "resnet18"
        c.data = sourceData
        c.epochs = sourceEpochs
        c.optimizer = "adamw"
        c.lr = 2e-3
        c.weightDecay = 5e-4
        c.validationFraction = 0.1
        c.probeSize = 1
        c.seed = DemoPlan.sourceSeed
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
        return c
    }

    /// ResNet-18 transfer as the study did it: pretrained backbone, new fc, everything fine-tuned with SGD
    /// (the backbone at a tenth of the head's rate) and, unlike the scratch net, no augmentation — so late in
    /// training it grows confident on some probe images, which is where `prob` gradients vanish.
    func finetuneConfig(pretrained: String) -> TrainConfig {
        var c = base
        c.model = "resnet18"
        c.epochs = finetuneEpochs
        c.optimizer = "sgd"
        c.lr = 0.03
        c.backboneLRScale = 0.1
        c.augment = false
        c.momentum = 0.9
        c.weightDecay = 5e-4
        c.pretrained = pretrained
        c.dumpEpochs = [0, finetuneEpochs / 2, finetuneEpochs]
        // layer4 is 2×2 at 64 px: too coarse for Grad-CAM, so layer3 (4×4) is recorded as well.
        c.probeLayers = ["layer1", "layer2", "layer3", "layer4"]
        return c
    }

    private var base: TrainConfig {
        var c = TrainConfig()
        c.data = targetData
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

    /// A key for the cached pretrained backbone: every setting that changes its weights.
    var sourceCacheKey: String {
        let c = sourceConfig
        let text = "\(c.model)|\(c.data)|\(c.epochs)|\(c.optimizer)|\(c.lr)|\(c.weightDecay)|\(c.batchSize)|\(c.imageSize)|\(c.seed)|\(c.threads)|\(c.validationFraction)|\(LoupeInfo.version)"
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
