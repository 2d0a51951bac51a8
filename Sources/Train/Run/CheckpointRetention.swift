import LoupeCore

/// Which epoch checkpoints a run keeps once a newer one is complete. The newest complete checkpoint is
/// always kept (resume starts from it), and older ones are removed only after it is written, so a kill
/// at any moment leaves a checkpoint to resume from.
public enum CheckpointRetention: Equatable, Sendable, CustomStringConvertible {
    /// Every epoch's checkpoint.
    case all
    /// The checkpoints of the dump epochs (a missing dump can be written again from them) and the newest.
    case dumped
    /// The newest N checkpoints (N ≥ 1).
    case last(Int)

    /// Parses `all`, `dumped` or a whole number N ≥ 1.
    /// - Throws: `LoupeError.invalidInput` naming the accepted forms.
    public init(parsing text: String) throws {
        switch text.lowercased() {
        case "all": self = .all
        case "dumped": self = .dumped
        default:
            guard let n = Int(text), n >= 1 else {
                throw LoupeError.invalidInput("--keep-checkpoints takes N (a whole number ≥ 1: the newest N), dumped or all; got '\(text)'")
            }
            self = .last(n)
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .dumped: "dumped"
        case .last(let n): String(n)
        }
    }

    /// The epochs of `existing` to keep, given the run's dump epochs.
    public func kept(_ existing: [Int], dumpEpochs: [Int]) -> Set<Int> {
        let sorted = existing.sorted()
        guard let newest = sorted.last else { return [] }
        switch self {
        case .all: return Set(sorted)
        case .dumped: return Set(sorted).intersection(dumpEpochs).union([newest])
        case .last(let n): return Set(sorted.suffix(max(n, 1)))
        }
    }
}
