import Foundation
import LoupeCore

extension Model {
    /// Rebuilds the checkpoint's architecture and loads its weights.
    /// - Throws: `LoupeError` when the architecture is unknown or the weights do not fit it.
    public convenience init(checkpoint: Checkpoint) throws {
        var spec: ModelSpec
        if let decoded = try? JSONDecoder().decode(ModelSpec.self, from: Data(checkpoint.modelOptions.utf8)) {
            spec = decoded
        } else {
            spec = ModelSpec(architecture: try ModelSpec.architecture(named: checkpoint.model), numClasses: checkpoint.numClasses,
                             inputChannels: checkpoint.inChannels)
        }
        spec.numClasses = checkpoint.numClasses
        try self.init(spec: spec, seed: checkpoint.seed)
        try load(stateDict: checkpoint.stateDictionary, strict: true)
    }
}
