import LoupeCore

/// A finite, random-access set of labelled images.
///
/// Conformers are immutable after creation, so `sample(at:)` may be called from several threads at
/// once (the batch loader does).
public protocol Dataset: Sendable {
    /// Short name for records, e.g. "synthetic", "fashion-mnist", "folder".
    var name: String { get }
    /// Class names; labels index into this.
    var classes: [String] { get }
    /// Number of samples.
    var count: Int { get }
    /// Channels of every sample's image: 1 (gray) or 3 (RGB).
    var channels: Int { get }
    /// The options that recreate this dataset, for config.json (all values as strings;
    /// "spec" holds the `--data` string).
    var describe: [String: String] { get }
    /// The label of sample `index` without decoding its image (splits need every label).
    func label(at index: Int) -> Int
    /// Sample `index` in 0..<count.
    /// - Throws: `LoupeError` when the index is out of range or the image cannot be read.
    func sample(at index: Int) throws -> Sample
}

/// Which part of a dataset with an official train/test division to open.
public enum DataPart: String, Sendable, CaseIterable {
    case train, test
}

extension Dataset {
    /// Every label, in index order.
    public var labels: [Int] { (0..<count).map { label(at: $0) } }

    /// Number of samples per class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for i in 0..<count { counts[label(at: i)] += 1 }
        return counts
    }

    /// Throws the standard out-of-range error unless `index` is in 0..<count.
    func checkIndex(_ index: Int) throws {
        guard index >= 0 && index < count else {
            throw LoupeError.invalidInput("\(name): sample index \(index) out of range 0..<\(count)")
        }
    }
}
