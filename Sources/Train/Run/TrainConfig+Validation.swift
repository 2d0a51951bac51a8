import Foundation
import LoupeCore

/// The one set of rules a training config must satisfy, whether it came from `loupe train`'s options or
/// from a `config.json` someone edited: the trainer checks it before it allocates anything, so a bad value
/// is a message, never a trap or a multi-gigabyte allocation.
extension TrainConfig {
    /// Upper bounds that no real run reaches but that keep products of config values far from overflow.
    public enum Limits {
        public static let epochs = 100_000
        public static let batchSize = 65_536
        public static let imageSize = 4_096
        public static let threads = 256
        public static let channels = 4_096
        public static let stages = 8
        public static let probeSize = 1_000_000
    }

    /// Every problem with this config, one sentence each naming the `config.json` key and its
    /// `loupe train` option; empty when the config is usable.
    public func problems() -> [String] {
        var out: [String] = []
        func need(_ ok: Bool, _ key: String, _ option: String, _ rule: String, _ found: Any) {
            if !ok { out.append("\(key) (\(option)) \(rule), got \(found)") }
        }
        need(ModelSpec.Architecture(rawValue: model.lowercased()) != nil, "model", "--model",
             "must be " + ModelSpec.Architecture.allCases.map(\.rawValue).joined(separator: " or "), "'\(model)'")
        do { _ = try DataSpec(parsing: data) } catch { out.append("data (--data) is not a dataset spec: \(error)") }
        need((1...Limits.epochs).contains(epochs), "epochs", "--epochs", "must be from 1 to \(Limits.epochs)", epochs)
        need((1...Limits.batchSize).contains(batchSize), "batchSize", "--batch-size", "must be from 1 to \(Limits.batchSize)", batchSize)
        need(lr.isFinite && lr >= 0, "lr", "--lr", "must be a finite number ≥ 0", lr)
        need(OptimizerKind(rawValue: optimizer) != nil, "optimizer", "--optimizer",
             "must be " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "), "'\(optimizer)'")
        need(momentum.isFinite && (0...1).contains(momentum), "momentum", "--momentum", "must be from 0 to 1", momentum)
        need(weightDecay.isFinite && weightDecay >= 0, "weightDecay", "--weight-decay", "must be a finite number ≥ 0", weightDecay)
        need(["constant", "step", "cosine"].contains(schedule), "schedule", "--schedule", "must be constant, step or cosine", "'\(schedule)'")
        need(warmupEpochs >= 0 && warmupEpochs <= epochs, "warmupEpochs", "--warmup-epochs", "must be from 0 to epochs (\(epochs))", warmupEpochs)
        need(stepSize >= 1, "stepSize", "config.json only", "must be at least 1", stepSize)
        need(stepGamma.isFinite && stepGamma > 0, "stepGamma", "config.json only", "must be a finite number > 0", stepGamma)
        need((8...Limits.imageSize).contains(imageSize), "imageSize", "--image-size", "must be from 8 to \(Limits.imageSize)", imageSize)
        if model == "resnet18" && !smallInput && imageSize < 32 {
            out.append("imageSize (--image-size) \(imageSize) is too small for resnet18's 32× downsampling: use 32 or more, or --small-input")
        }
        if model == "littleconv" && imageSize < 16 {
            out.append("imageSize (--image-size) \(imageSize) is too small for littleconv's four 2× poolings: use 16 or more")
        }
        need((1...Limits.threads).contains(threads), "threads", "--threads", "must be from 1 to \(Limits.threads)", threads)
        need(backboneLRScale.isFinite && backboneLRScale >= 0, "backboneLRScale", "--backbone-lr-scale", "must be a finite number ≥ 0", backboneLRScale)
        need((1...Limits.stages).contains(channels.count) && channels.allSatisfy { (1...Limits.channels).contains($0) },
             "channels", "--channels", "must list 1 to \(Limits.stages) stage widths, each from 1 to \(Limits.channels)", channels)
        need(validationFraction.isFinite && validationFraction > 0 && validationFraction < 1,
             "validationFraction", "--validation-fraction", "must be between 0 and 1", validationFraction)
        if let classes {
            need(!classes.isEmpty && classes.allSatisfy { $0 >= 0 } && Set(classes).count == classes.count,
                 "classes", "--classes", "must list distinct label numbers ≥ 0", classes)
        }
        if let perClass { need(perClass >= 2, "perClass", "--per-class", "must be at least 2 (one for training, one held out)", perClass) }
        need(dumpEpochs.allSatisfy { (0...epochs).contains($0) }, "dumpEpochs", "--dump-epochs", "must be epochs from 0 to \(epochs)", dumpEpochs)
        need((1...Limits.probeSize).contains(probeSize), "probeSize", "--probe-size", "must be from 1 to \(Limits.probeSize)", probeSize)
        need(["float16", "float32"].contains(dumpDType), "dumpDType", "--dtype", "must be float16 or float32", "'\(dumpDType)'")
        need(HDF5Compression(parsing: compression) != nil, "compression", "--compression", "must be none or deflate[1-9]", "'\(compression)'")
        return out
    }

    /// Throws every problem at once; `source` names where the config came from (a `config.json` path).
    /// - Throws: `LoupeError.invalidInput` listing each problem on its own line.
    public func validate(source: String? = nil) throws {
        let found = problems()
        guard !found.isEmpty else { return }
        let head = source.map { "\($0): " } ?? ""
        throw LoupeError.invalidInput(head + (found.count == 1 ? found[0] : "\(found.count) problems:\n  " + found.joined(separator: "\n  ")))
    }
}
