import Foundation
import LoupeCore

/// Everything needed to resume a run or load its model elsewhere, as stored in `checkpoints/epoch-NNNN.h5`.
///
/// The layout is `docs/run-format.md`'s "Checkpoint" section: the model's `state_dict` under `/state/`
/// with torchvision keys and PyTorch shapes, optimizer state, generator state and class names.
public struct Checkpoint: Sendable {
    public var model: String
    public var epoch: Int
    public var numClasses: Int
    public var inChannels: Int
    public var imageSize: Int
    /// Architecture options as JSON text (channel widths, small-input stem, …).
    public var modelOptions: String
    public var seed: UInt64
    /// The model's `state_dict`, in the model's own order.
    public var state: [(key: String, value: Tensor)]
    public var optimizerType: String
    public var optimizerStep: Int
    /// Optimizer state by `"<slot>.<parameter key>"`, e.g. `"momentum_buffer.conv1.weight"`, `"step.fc.bias"`.
    public var optimizerState: [(key: String, value: Tensor)]
    public var rngState: [UInt64]
    public var classes: [String]

    public init(model: String, epoch: Int, numClasses: Int, inChannels: Int, imageSize: Int, modelOptions: String = "{}",
                seed: UInt64, state: [(key: String, value: Tensor)], optimizerType: String = "none", optimizerStep: Int = 0,
                optimizerState: [(key: String, value: Tensor)] = [], rngState: [UInt64] = [], classes: [String]) {
        self.model = model
        self.epoch = epoch
        self.numClasses = numClasses
        self.inChannels = inChannels
        self.imageSize = imageSize
        self.modelOptions = modelOptions
        self.seed = seed
        self.state = state
        self.optimizerType = optimizerType
        self.optimizerStep = optimizerStep
        self.optimizerState = optimizerState
        self.rngState = rngState
        self.classes = classes
    }

    /// The state as a dictionary, for loading into a model.
    public var stateDictionary: [String: Tensor] { Dictionary(state.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }

    static func isCounter(_ key: String) -> Bool { key.hasSuffix("num_batches_tracked") }

    /// Writes the checkpoint crash-safe: a file under `path` is always complete.
    public func write(to path: String) throws {
        try HDF5File.writeAtomically(path) { file in
            try RunFormat.stamp(file, format: RunFormat.checkpointFormat, version: RunFormat.checkpointVersion)
            try file.setAttribute("model", model)
            try file.setAttribute("epoch", epoch)
            try file.setAttribute("num_classes", numClasses)
            try file.setAttribute("in_channels", inChannels)
            try file.setAttribute("image_size", imageSize)
            try file.setAttribute("model_options", modelOptions)
            try file.setAttribute("seed", .int(Int64(bitPattern: seed)))
            let stateGroup = try file.group("state", create: true)
            try stateGroup.setAttribute("keys", .strings(state.map(\.key)))  // order, which HDF5 sorts away
            for (key, tensor) in state {
                if Checkpoint.isCounter(key) {
                    try stateGroup.write(key, tensor.storage.map { Int64($0) }, shape: tensor.shape)
                } else {
                    try stateGroup.write(key, tensor.storage, shape: tensor.shape)
                }
            }
            let optimizer = try file.group("optimizer", create: true)
            try optimizer.setAttribute("type", optimizerType)
            try optimizer.setAttribute("step", optimizerStep)
            for (key, tensor) in optimizerState {
                try optimizer.write(key, tensor.storage, shape: tensor.shape)
            }
            let rng = try file.write("rng/state", rngState.isEmpty ? [UInt64](repeating: 0, count: 4) : rngState)
            try rng.setAttribute("seed", .int(Int64(bitPattern: seed)))
            try file.write("classes", strings: classes)
        }
    }

    /// Reads a checkpoint, checking its format and version.
    /// - Throws: `HDF5Error` naming the file and what is wrong or missing.
    public static func read(_ path: String) throws -> Checkpoint {
        let file = try HDF5File.open(path)
        try RunFormat.requireFormat(file, RunFormat.checkpointFormat, supported: RunFormat.checkpointVersion)
        // The ranges keep a hand-written or foreign checkpoint from reaching a model built with sizes it cannot have.
        let ranges: [String: ClosedRange<Int>] = ["epoch": 0...1_000_000, "num_classes": 1...1_000_000, "in_channels": 1...4, "image_size": 1...8192]
        func int(_ name: String) throws -> Int {
            guard let v = try file.attribute(name)?.intValue else {
                throw HDF5Error(.missingObject, file: path, object: "/@" + name, message: "checkpoint attribute '\(name)' is missing")
            }
            if let range = ranges[name], !range.contains(v) {
                throw HDF5Error(.wrongShape, file: path, object: "/@" + name,
                                message: "checkpoint attribute '\(name)' is \(v); it must be in \(range.lowerBound)…\(range.upperBound)")
            }
            return v
        }
        let stateGroup = try file.group("state")
        let keys = try stateGroup.attribute("keys")?.stringsValue ?? stateGroup.childNames()
        var state: [(key: String, value: Tensor)] = []
        for key in keys {
            let d = try stateGroup.dataset(key)
            let values: [Float] = isCounter(key) ? try d.read(as: Int64.self).map(Float.init) : try d.read(as: Float.self)
            state.append((key, Tensor(shape: d.shape, storage: values)))
        }
        var optimizerState: [(key: String, value: Tensor)] = []
        var optimizerType = "none", optimizerStep = 0
        if file.contains("optimizer") {
            let optimizer = try file.group("optimizer")
            optimizerType = try optimizer.attribute("type")?.stringValue ?? "none"
            optimizerStep = try optimizer.attribute("step")?.intValue ?? 0
            for key in try optimizer.childNames() {
                let d = try optimizer.dataset(key)
                optimizerState.append((key, Tensor(shape: d.shape, storage: try d.read(as: Float.self))))
            }
        }
        let rngState = file.contains("rng/state") ? try file.read("rng/state", as: UInt64.self) : []
        let seed = UInt64(bitPattern: try file.attribute("seed")?.intValue.map(Int64.init) ?? 0)
        return Checkpoint(
            model: try file.stringAttribute("model"), epoch: try int("epoch"), numClasses: try int("num_classes"),
            inChannels: try int("in_channels"), imageSize: try int("image_size"),
            modelOptions: try file.attribute("model_options")?.stringValue ?? "{}", seed: seed, state: state,
            optimizerType: optimizerType, optimizerStep: optimizerStep, optimizerState: optimizerState,
            rngState: rngState, classes: try file.dataset("classes").readStrings())
    }
}
