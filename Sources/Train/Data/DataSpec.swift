import Foundation
import LoupeCore

/// A parsed `--data` string: which dataset, with which options.
///
/// Grammar (DIR is taken verbatim after the first ':'; a leading "~/" is expanded):
/// ```
/// synthetic[:KEY=VALUE[,KEY=VALUE…]]   KEY: classes, per-class, size, seed, split (source|target|all|wide),
///                                      radius (MIN-MAX, fraction of the side)
/// fashion-mnist[:DIR]                  default DIR /usr/share/datasets/fashion-mnist
/// folder:DIR                           one subfolder per class (Stanford Dogs layout works)
/// cifar10:DIR                          CIFAR-10 binary batches (data_batch_1.bin …)
/// ```
public enum DataSpec: Sendable, Equatable, CustomStringConvertible {
    case synthetic(SyntheticOptions)
    case fashionMNIST(directory: String)
    case folder(directory: String)
    case cifar10(directory: String)

    /// Where Debian's `dataset-fashion-mnist` package installs the IDX files.
    public static let defaultFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// The valid forms, for error and help messages.
    public static let grammar = """
        synthetic[:KEY=VALUE,...]  (keys: classes=N, per-class=N, size=PIXELS, seed=N, split=source|target|all|wide, radius=MIN-MAX)
        fashion-mnist[:DIR]        (default DIR \(defaultFashionMNISTDirectory))
        folder:DIR                 (one subfolder of JPEG/PNG images per class)
        cifar10:DIR                (CIFAR-10 binary batches)
        """

    /// Parses a `--data` string.
    /// - Throws: `LoupeError.invalidInput` with the valid forms when `text` is not one of them.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let kind: Substring, rest: Substring?
        if let colon = trimmed.firstIndex(of: ":") {
            kind = trimmed[..<colon]
            rest = trimmed[trimmed.index(after: colon)...]
        } else {
            kind = Substring(trimmed); rest = nil
        }
        switch kind.lowercased() {
        case "synthetic":
            self = .synthetic(try DataSpec.parseSyntheticOptions(rest.map(String.init) ?? ""))
        case "fashion-mnist", "fashion_mnist", "fashionmnist":
            let directory = rest.map(String.init) ?? ""
            self = .fashionMNIST(directory: directory.isEmpty ? DataSpec.defaultFashionMNISTDirectory : DataSpec.expand(directory))
        case "folder":
            self = .folder(directory: try DataSpec.requireDirectory(rest, kind: "folder"))
        case "cifar10", "cifar-10":
            self = .cifar10(directory: try DataSpec.requireDirectory(rest, kind: "cifar10"))
        default:
            throw DataSpec.invalid("unknown dataset '\(kind)' in --data '\(text)'")
        }
    }

    /// The canonical string that parses back to this spec (defaults omitted).
    public var description: String {
        switch self {
        case .synthetic(let o):
            var parts: [String] = []
            let d = SyntheticOptions.defaults
            if o.split != d.split { parts.append("split=\(o.split.rawValue)") }
            if let classes = o.classes { parts.append("classes=\(classes)") }
            if o.perClass != d.perClass { parts.append("per-class=\(o.perClass)") }
            if o.size != d.size { parts.append("size=\(o.size)") }
            if o.seed != d.seed { parts.append("seed=\(o.seed)") }
            if o.radius != d.radius { parts.append("radius=\(o.radius.lowerBound)-\(o.radius.upperBound)") }
            return parts.isEmpty ? "synthetic" : "synthetic:" + parts.joined(separator: ",")
        case .fashionMNIST(let directory):
            return directory == DataSpec.defaultFashionMNISTDirectory ? "fashion-mnist" : "fashion-mnist:" + directory
        case .folder(let directory): return "folder:" + directory
        case .cifar10(let directory): return "cifar10:" + directory
        }
    }

    /// Opens the dataset. `part` selects the official test set where one exists (Fashion-MNIST,
    /// CIFAR-10) or a separate image stream (synthetic); folders have none.
    /// - Throws: `LoupeError` when files are missing or unreadable, or a folder is asked for `.test`.
    public func open(part: DataPart = .train) throws -> any Dataset {
        switch self {
        case .synthetic(let options):
            return try SyntheticDataset(options, part: part)
        case .fashionMNIST(let directory):
            return try FashionMNIST(directory: directory, part: part)
        case .folder(let directory):
            guard part == .train else {
                throw LoupeError.invalidInput("folder:\(directory) has no separate test part; use the validation split")
            }
            return try FolderDataset(directory: directory)
        case .cifar10(let directory):
            return try CIFAR10(directory: directory, part: part)
        }
    }

    /// Whether `open(part: .test)` has something to open.
    public var hasTestPart: Bool {
        if case .folder = self { return false }
        return true
    }

    // MARK: parsing helpers

    static func invalid(_ message: String) -> LoupeError {
        LoupeError.invalidInput(message + "\nvalid --data forms:\n" + grammar)
    }

    static func expand(_ path: String) -> String {
        path.hasPrefix("~/") ? NSString(string: path).expandingTildeInPath : path
    }

    static func requireDirectory(_ rest: Substring?, kind: String) throws -> String {
        guard let rest, !rest.isEmpty else { throw invalid("'\(kind)' needs a folder: \(kind):DIR") }
        return expand(String(rest))
    }

    static func parseSyntheticOptions(_ text: String) throws -> SyntheticOptions {
        var options = SyntheticOptions()
        var seen = Set<String>()
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[1].isEmpty else { throw invalid("synthetic option '\(item)' is not KEY=VALUE") }
            let key = pair[0].lowercased().replacingOccurrences(of: "_", with: "-"), value = pair[1]
            guard seen.insert(key).inserted else { throw invalid("synthetic option '\(key)' given twice") }
            func integer() throws -> Int {
                guard let n = Int(value) else { throw invalid("synthetic option \(key)=\(value): not an integer") }
                return n
            }
            switch key {
            case "classes": options.classes = try integer()
            case "per-class", "perclass": options.perClass = try integer()
            case "size": options.size = try integer()
            case "seed":
                guard let seed = UInt64(value) else { throw invalid("synthetic option seed=\(value): not a non-negative integer") }
                options.seed = seed
            case "radius":
                let ends = value.split(separator: "-", maxSplits: 1).map { Float($0.trimmingCharacters(in: .whitespaces)) }
                guard ends.count == 2, let low = ends[0], let high = ends[1], low.isFinite, high.isFinite, low <= high else {
                    throw invalid("synthetic option radius=\(value): expected MIN-MAX, fractions of the image side (e.g. radius=0.3-0.4)")
                }
                options.radius = low...high
            case "split":
                guard let split = SyntheticSplit(rawValue: value.lowercased()) else {
                    throw invalid("synthetic option split=\(value): expected source, target, all or wide")
                }
                options.split = split
            default:
                throw invalid("unknown synthetic option '\(key)'")
            }
        }
        do { try options.validate() } catch let error as LoupeError { throw invalid(error.description) }
        return options
    }
}
