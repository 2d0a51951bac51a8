// The analyzers' only door to a run file (docs/run-format.md). It reads dumps written by Loupe and
// minimal files written by anyone else (h5py from PyTorch, say) that hold only the datasets one
// analyzer needs: a file without the `format` attribute is accepted with documented defaults, and the
// defaults it fell back on are listed in `notes` so the reports can say so.
import Foundation
import LoupeCore

/// What the recorded gradients are gradients of (root attribute `target`).
public enum GradientTarget: Equatable, Sendable, CustomStringConvertible {
    /// The true class's pre-softmax score (the default; what Grad-CAM is defined on).
    case logit
    /// The predicted class's pre-softmax score.
    case logitPredicted
    /// The true class's softmax probability.
    case prob
    /// Cross-entropy loss.
    case loss
    case other(String)

    public init(_ text: String) {
        switch text.lowercased() {
        case "logit", "logit-true", "": self = .logit
        case "logit-predicted", "logit_predicted", "logit-pred": self = .logitPredicted
        case "prob", "probability", "softmax": self = .prob
        case "loss", "cross-entropy", "ce": self = .loss
        default: self = .other(text)
        }
    }

    public var description: String {
        switch self {
        case .logit: "logit"
        case .logitPredicted: "logit-predicted"
        case .prob: "prob"
        case .loss: "loss"
        case .other(let s): s
        }
    }

    /// True for targets whose gradient passes through the softmax and so can saturate.
    public var passesThroughSoftmax: Bool { self == .prob || self == .loss }
}

/// A dump opened for reading: root attributes decoded once, datasets read on demand.
public final class DumpFile {
    public let path: String
    public let file: HDF5File
    /// False for a minimal file without Loupe's `format` attribute.
    public let isLoupeFormat: Bool
    public let formatVersion: String?
    public let epoch: Int
    public let model: String
    public let target: GradientTarget
    /// The run's name (attribute `run`), else the run folder's name when the file sits in `RUN/dumps/`.
    public let run: String
    public let normalizationMean: [Double]?
    public let normalizationStd: [Double]?
    public let imageSize: Int?
    public let seed: UInt64?
    /// Layer names in network order when the file records them (attribute `layers`).
    let recordedLayerOrder: [String]?
    /// Defaults this reader fell back on, one sentence each.
    public private(set) var notes: [String] = []

    /// Opens `path`, checking Loupe's format and version when the file declares one.
    /// - Throws: `HDF5Error` for a missing or unreadable file, a different format or a newer major version.
    public init(_ path: String) throws {
        self.path = path
        file = try HDF5File.open(path)
        var notes: [String] = []
        if file.hasAttribute("format") {
            try RunFormat.requireFormat(file, RunFormat.dumpFormat, supported: RunFormat.dumpVersion)
            isLoupeFormat = true
            formatVersion = try RunFormat.formatVersion(of: file).text
        } else {
            isLoupeFormat = false
            formatVersion = nil
            notes.append("\(path) has no 'format' attribute: read as a minimal dump with defaults")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent

        if let e = try file.attribute("epoch")?.intValue {
            epoch = e
        } else if let e = DumpFile.epochFromName(name) {
            epoch = e
            notes.append("epoch \(e) taken from the file name")
        } else {
            epoch = 0
            notes.append("no 'epoch' attribute: epoch 0 assumed")
        }
        model = try file.attribute("model")?.stringValue ?? "unknown"
        if let t = try file.attribute("target")?.stringValue {
            target = GradientTarget(t)
        } else {
            target = .logit
            if file.contains(RunFormat.Dump.gradients) { notes.append("no 'target' attribute: gradients assumed to be of the true-class logit") }
        }
        if let r = try file.attribute("run")?.stringValue, !r.isEmpty {
            run = r
        } else {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let folder = url.deletingLastPathComponent()
            run = folder.lastPathComponent == RunFormat.Run.dumps ? folder.deletingLastPathComponent().lastPathComponent : name
        }
        normalizationMean = try DumpFile.doubles(file, ["normalization_mean", "norm_mean", "mean"])
        normalizationStd = try DumpFile.doubles(file, ["normalization_std", "norm_std", "std"])
        imageSize = try DumpFile.imageSize(file, path: path)
        seed = try file.attribute("seed")?.intValue.map { UInt64(truncatingIfNeeded: $0) }
        recordedLayerOrder = try file.attribute("layers")?.stringsValue
        self.notes = notes
    }

    /// `image_size` as an integer, or a float holding a whole number (h5py users write either).
    private static func imageSize(_ file: HDF5File, path: String) throws -> Int? {
        guard let value = try file.attribute("image_size") else { return nil }
        let number = value.intValue.map(Double.init) ?? value.doublesValue?.first
        guard let number, number.isFinite, number.rounded() == number, number >= 1, number <= 65536 else {
            throw LoupeError.invalidInput("\(path): attribute 'image_size' is \(value); expected a whole number of pixels from 1 to 65536")
        }
        return Int(number)
    }

    private static func doubles(_ file: HDF5File, _ names: [String]) throws -> [Double]? {
        for n in names { if let v = try file.attribute(n)?.doublesValue { return v } }
        return nil
    }

    /// `epoch-0010` → 10.
    static func epochFromName(_ name: String) -> Int? {
        guard name.hasPrefix("epoch-") || name.hasPrefix("epoch_") else { return nil }
        return Int(name.dropFirst(6))
    }

    /// A short label for figures: `run@epoch N`.
    public var label: String { "\(run) @ epoch \(epoch)" }

    // MARK: - What is inside

    /// True when `path` names a dataset.
    public func has(_ path: String) -> Bool {
        guard file.contains(path) else { return false }
        return (try? file.dataset(path)) != nil
    }

    /// The shape of the dataset at `path`, or nil when there is none.
    public func shape(_ path: String) -> [Int]? {
        guard file.contains(path), let d = try? file.dataset(path) else { return nil }
        return d.shape
    }

    /// The stored element type at `path`, or nil.
    public func elementType(_ path: String) -> HDF5ElementType? {
        guard file.contains(path), let d = try? file.dataset(path) else { return nil }
        return d.elementType
    }

    /// N: the number of probe samples, from the first per-sample dataset present.
    public var sampleCount: Int? {
        let candidates = [RunFormat.Dump.labels, RunFormat.Dump.ids, RunFormat.Dump.images, RunFormat.Dump.logits,
                          RunFormat.Dump.embedding, RunFormat.Dump.targetValues]
        for p in candidates { if let s = shape(p), let n = s.first { return n } }
        for layer in activationLayers { if let n = shape(RunFormat.Dump.activation(layer))?.first { return n } }
        for layer in gradientLayers { if let n = shape(RunFormat.Dump.gradient(layer))?.first { return n } }
        return nil
    }

    /// Layers with an activation dataset, in network order (see `orderLayers`).
    public var activationLayers: [String] { orderLayers(datasetNames(under: RunFormat.Dump.activations)) }
    /// Layers with a gradient dataset, in network order.
    public var gradientLayers: [String] { orderLayers(datasetNames(under: RunFormat.Dump.gradients)) }

    /// Dataset names below `group`, nested groups joined with `/` (a name such as `layer4.1` stays one name).
    func datasetNames(under group: String) -> [String] {
        guard file.contains(group), let g = try? file.group(group) else { return [] }
        var out: [String] = []
        func walk(_ container: HDF5Container, prefix: String) {
            for name in (try? container.childNames()) ?? [] {
                let full = prefix.isEmpty ? name : prefix + "/" + name
                switch (try? container.childKind(name)) ?? .other {
                case .dataset: out.append(full)
                case .group: if let sub = try? container.group(name) { walk(sub, prefix: full) }
                case .other: break
                }
            }
        }
        walk(g, prefix: "")
        return out
    }

    /// Orders layer names as the network runs them: by the file's `layers` attribute when present,
    /// else naturally (`layer2` before `layer10`, `layer4.0` before `layer4.1`).
    public func orderLayers(_ names: [String]) -> [String] {
        if let order = recordedLayerOrder {
            let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            return names.sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        }
        return names.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
    }

    // MARK: - Reading

    /// A numeric dataset as Float, whatever float or integer type it is stored as.
    public func floats(_ path: String) throws -> [Float] {
        let d = try file.dataset(path)
        switch d.elementType {
        case .float16, .float32, .float64: return try d.read(as: Float.self)
        case .string: throw LoupeError.invalidInput("\(self.path):\(path) holds strings, expected numbers")
        default: return try d.read(as: Int64.self).map { Float($0) }
        }
    }

    /// A numeric dataset as Double (float64 kept exact).
    public func doubles(_ path: String) throws -> [Double] {
        let d = try file.dataset(path)
        switch d.elementType {
        case .float16, .float32: return try floats(path).map(Double.init)
        case .float64: return try d.read(as: Double.self)
        case .string: throw LoupeError.invalidInput("\(self.path):\(path) holds strings, expected numbers")
        default: return try d.read(as: Int64.self).map { Double($0) }
        }
    }

    /// An integer dataset (labels); floats holding whole numbers are accepted.
    public func ints(_ path: String) throws -> [Int] {
        let d = try file.dataset(path)
        switch d.elementType {
        case .float16, .float32, .float64:
            let values = try d.read(as: Double.self)
            // ±2^53: every whole float up to there is exact, and beyond it no label can be meant.
            if let bad = values.first(where: { !($0.isFinite && $0.rounded() == $0 && abs($0) <= 9_007_199_254_740_992) }) {
                throw LoupeError.invalidInput("\(self.path):\(path) holds \(bad), expected whole-number labels")
            }
            return values.map { Int($0) }
        case .string: throw LoupeError.invalidInput("\(self.path):\(path) holds strings, expected integers")
        default: return try d.read(as: Int64.self).map { Int($0) }
        }
    }

    /// A string dataset; numbers are turned into their decimal text.
    public func strings(_ path: String) throws -> [String] {
        let d = try file.dataset(path)
        if d.elementType == .string { return try d.readStrings() }
        return try ints(path).map(String.init)
    }

    /// A 2-D dataset as a matrix (a 1-D one becomes a column).
    public func matrix(_ path: String) throws -> Matrix {
        guard let s = shape(path) else { throw HDF5Error(.missingObject, file: self.path, object: path, message: "no dataset '\(path)'") }
        let values = try floats(path)
        let rows = s.first ?? 1
        return Matrix(rows: rows, columns: rows == 0 ? 0 : values.count / rows, values: values)
    }

    /// A 4-D N×C×H×W dataset (activations, gradients) as a tensor.
    public func tensor4(_ path: String) throws -> Tensor {
        guard let s = shape(path) else { throw HDF5Error(.missingObject, file: self.path, object: path, message: "no dataset '\(path)'") }
        guard s.count == 4 else {
            throw LoupeError.invalidInput("\(self.path):\(path) has shape \(Shape.text(s)), expected N×C×H×W")
        }
        return Tensor(shape: s, storage: try floats(path))
    }

    /// Rows `range` of a 4-D dataset.
    public func tensor4Rows(_ path: String, _ range: Range<Int>) throws -> Tensor {
        let d = try file.dataset(path)
        guard d.shape.count == 4 else {
            throw LoupeError.invalidInput("\(self.path):\(path) has shape \(Shape.text(d.shape)), expected N×C×H×W")
        }
        return Tensor(shape: [range.count] + d.shape.dropFirst(), storage: try d.readRows(range, as: Float.self))
    }

    public func activations(_ layer: String) throws -> Tensor { try tensor4(RunFormat.Dump.activation(layer)) }
    public func gradients(_ layer: String) throws -> Tensor { try tensor4(RunFormat.Dump.gradient(layer)) }

    /// Probe labels as class indices.
    /// - Throws: `LoupeError.invalidInput` naming the first label that is not a class index 0…`maxClasses`-1.
    public func labels() throws -> [Int] {
        let values = try ints(RunFormat.Dump.labels)
        if let bad = values.firstIndex(where: { $0 < 0 || $0 >= DumpFile.maxClasses }) {
            throw LoupeError.invalidInput("\(path): /probe/labels[\(bad)] is \(values[bad]); labels must be class indices from 0 "
                                          + "to \(DumpFile.maxClasses - 1)")
        }
        return values
    }

    /// Probe ids; `0…N-1` as text when the file has none.
    public func ids() throws -> [String] {
        if has(RunFormat.Dump.ids) { return try strings(RunFormat.Dump.ids) }
        return (0..<(sampleCount ?? 0)).map(String.init)
    }

    /// The most classes a dump may have (ImageNet-21k has about 21,000).
    public static let maxClasses = 1 << 20

    /// Class names; `class 0`, `class 1`, … when the file has none.
    public func classNames() throws -> [String] {
        if has(RunFormat.Dump.classes) { return try strings(RunFormat.Dump.classes) }
        var k = 0
        if has(RunFormat.Dump.labels) { k = (try labels().max() ?? -1) + 1 }
        if let s = shape(RunFormat.Dump.logits), s.count == 2 { k = max(k, s[1]) }
        // Labels come from the file: a corrupt 2^31 must be named, not turned into 2^31 class names.
        guard k <= DumpFile.maxClasses else {
            throw LoupeError.invalidInput("\(path): the labels or logits imply \(k) classes, more than the \(DumpFile.maxClasses) "
                                          + "Loupe reads; /probe/labels must hold class indices 0…K-1")
        }
        return (0..<k).map { "class \($0)" }
    }

    /// The probe images as shown to the network (uint8 N×H×W×3). Float images in [0, 1] or [0, 255]
    /// are converted; gray (N×H×W or N×H×W×1) is repeated to RGB.
    public func images() throws -> ProbeImages {
        let p = RunFormat.Dump.images
        guard let s = shape(p) else { throw HDF5Error(.missingObject, file: path, object: p, message: "no dataset '\(p)'") }
        guard s.count == 4 || s.count == 3, s.count == 3 || [1, 3].contains(s[3]) else {
            throw LoupeError.invalidInput("\(path):\(p) has shape \(Shape.text(s)), expected N×H×W×3 uint8")
        }
        let channels = s.count == 4 ? s[3] : 1
        let d = try file.dataset(p)
        var bytes: [UInt8]
        switch d.elementType {
        case .uint8: bytes = try d.read(as: UInt8.self)
        case .string: throw LoupeError.invalidInput("\(path):\(p) holds strings, expected uint8 pixels")
        default:
            let v = try floats(p)
            let scale: Float = (v.max() ?? 0) <= 1.0001 ? 255 : 1
            bytes = v.map { UInt8(max(0, min(255, ($0 * scale).rounded()))) }
        }
        if channels == 1 { bytes = bytes.flatMap { [$0, $0, $0] } }
        return ProbeImages(count: s[0], height: s[1], width: s[2], pixels: bytes)
    }

    /// Per-sample mean colour in [0, 1] (N×3): `/probe/meta/mean_rgb`, else computed from the images.
    public func meanRGB() throws -> Matrix {
        if has(RunFormat.Dump.meanRGB) { return try unitRGB(RunFormat.Dump.meanRGB) }
        return try images().meanRGB()
    }

    /// An N×3 colour dataset scaled to [0, 1] (accepts values stored in 0…255).
    public func unitRGB(_ path: String) throws -> Matrix {
        var m = try matrix(path)
        guard m.columns == 3 else { throw LoupeError.invalidInput("\(self.path):\(path) has \(m.columns) columns, expected N×3 RGB") }
        if (m.values.max() ?? 0) > 1.0001 { m.values = m.values.map { $0 / 255 } }
        return m
    }
}

/// The probe images, uint8 N×H×W×3.
public struct ProbeImages: Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    public var pixels: [UInt8]

    public init(count: Int, height: Int, width: Int, pixels: [UInt8]) {
        self.count = count
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// Image `i` as an RGB `Image`.
    public func image(_ i: Int) -> Image {
        let size = height * width * 3
        return Image(width: width, height: height, channels: 3, pixels: Array(pixels[(i * size)..<((i + 1) * size)]))
    }

    /// Mean colour of every image in [0, 1], N×3.
    public func meanRGB() -> Matrix {
        var out = [Float](repeating: 0, count: count * 3)
        let size = height * width
        for i in 0..<count {
            var sum = (0, 0, 0)
            let base = i * size * 3
            for p in 0..<size {
                sum.0 += Int(pixels[base + 3 * p]); sum.1 += Int(pixels[base + 3 * p + 1]); sum.2 += Int(pixels[base + 3 * p + 2])
            }
            let d = Float(max(size, 1)) * 255
            out[3 * i] = Float(sum.0) / d; out[3 * i + 1] = Float(sum.1) / d; out[3 * i + 2] = Float(sum.2) / d
        }
        return Matrix(rows: count, columns: 3, values: out)
    }
}

/// A dense row-major Float matrix.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(_ r: Int, _ c: Int) -> Float { values[r * columns + c] }

    public func row(_ r: Int) -> ArraySlice<Float> { values[(r * columns)..<((r + 1) * columns)] }

    /// The matrix restricted to `keep` rows, in that order.
    public func selecting(rows keep: [Int]) -> Matrix {
        var out = [Float]()
        out.reserveCapacity(keep.count * columns)
        for r in keep { out.append(contentsOf: row(r)) }
        return Matrix(rows: keep.count, columns: columns, values: out)
    }
}

/// Shape formatting shared by messages.
enum Shape {
    static func text(_ s: [Int]) -> String { s.isEmpty ? "scalar" : s.map(String.init).joined(separator: "×") }
}
