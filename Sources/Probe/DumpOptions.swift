import LoupeCore

/// How dumps are written: target, layers, storage type and compression.
public struct DumpOptions: Sendable {
    public var target: ProbeTarget = .logit
    /// Layer patterns as given (`--layers`); empty means the defaults.
    public var layers: [String] = []
    public var storage: HDF5ElementType = .float16
    public var compression: HDF5Compression = .none
    public var batchSize = 32

    public init(target: ProbeTarget = .logit, layers: [String] = [], storage: HDF5ElementType = .float16,
                compression: HDF5Compression = .none, batchSize: Int = 32) {
        self.target = target
        self.layers = layers
        self.storage = storage
        self.compression = compression
        self.batchSize = batchSize
    }
}
