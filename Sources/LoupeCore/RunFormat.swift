// The run format, as written down in docs/run-format.md. Names live here once so writers (Train,
// Probe) and readers (Analyzers, inspect) agree; anyone else follows the document.

/// Names, versions and version checks of Loupe's files.
public enum RunFormat {
    public static let checkpointFormat = "loupe-checkpoint"
    public static let dumpFormat = "loupe-dump"
    public static let resultFormat = "loupe-result"
    /// Major version a reader understands; a newer major is rejected, a newer minor is read.
    public static let checkpointVersion = "1.0"
    public static let dumpVersion = "1.0"
    public static let resultVersion = "1.0"

    /// Dataset paths in a dump.
    public enum Dump {
        public static let images = "/probe/images"
        public static let labels = "/probe/labels"
        public static let ids = "/probe/ids"
        public static let classes = "/probe/classes"
        public static let meta = "/probe/meta"
        public static let meanRGB = "/probe/meta/mean_rgb"
        public static let background = "/probe/meta/background"
        public static let box = "/probe/meta/box"
        public static let mask = "/probe/meta/mask"
        public static let logits = "/logits"
        public static let probabilities = "/probabilities"
        public static let targetValues = "/target_values"
        public static let embedding = "/embedding"
        public static let activations = "/activations"
        public static let gradients = "/gradients"
        public static func activation(_ layer: String) -> String { activations + "/" + layer }
        public static func gradient(_ layer: String) -> String { gradients + "/" + layer }
    }

    /// File names inside a run directory.
    public enum Run {
        public static let config = "config.json"
        public static let metrics = "metrics.csv"
        public static let checkpoints = "checkpoints"
        public static let dumps = "dumps"
        /// Dumps of other targets made later by `loupe probe` (the demo writes them here).
        public static let probes = "probes"
        public static func checkpointName(epoch: Int) -> String { "epoch-" + pad4(epoch) + ".h5" }
        public static func dumpName(epoch: Int) -> String { "epoch-" + pad4(epoch) + ".h5" }
        static func pad4(_ n: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, 4 - s.count)) + s }
    }

    /// Writes the self-describing root attributes.
    public static func stamp(_ file: HDF5File, format: String, version: String) throws {
        try file.setAttribute("format", format)
        try file.setAttribute("format_version", version)
        try file.setAttribute("writer", "loupe")
    }

    /// Checks `format` and `format_version` on a file's root.
    /// - Throws: `HDF5Error` of kind `.unsupportedFormat` (another format) or `.newerVersion`.
    public static func requireFormat(_ file: HDF5File, _ format: String, supported: String) throws {
        guard let found = try file.attribute("format")?.stringValue else {
            throw HDF5Error(.unsupportedFormat, file: file.path, object: "/",
                            message: "no 'format' attribute: not a Loupe file (expected format '\(format)'; see docs/run-format.md)")
        }
        guard found == format else {
            throw HDF5Error(.unsupportedFormat, file: file.path, object: "/", message: "format is '\(found)', expected '\(format)'")
        }
        let version = try file.attribute("format_version")?.stringValue ?? "1.0"
        let major = Int(version.split(separator: ".").first ?? "") ?? 0
        let supportedMajor = Int(supported.split(separator: ".").first ?? "") ?? 0
        if major > supportedMajor {
            throw HDF5Error(.newerVersion, file: file.path, object: "/",
                            message: "\(format) version \(version) is newer than this Loupe reads (\(supported)); upgrade Loupe")
        }
    }
}
