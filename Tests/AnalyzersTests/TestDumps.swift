import Foundation
import LoupeCore
@testable import Analyzers

/// Tiny dumps written with LoupeCore's HDF5 API, following the run format.
struct DumpSpec {
    var n = 24
    var size = 8
    var classes = 3
    /// name, channels, height, width
    var layers: [(String, Int, Int, Int)] = [("layer3", 4, 4, 4), ("layer4.1", 6, 2, 2)]
    var epoch = 0
    var target = "logit"
    var run = "test-run"
    var seed: UInt64 = 1
    var loupeFormat = true
    var formatVersion = RunFormat.dumpVersion
    var withBoxes = true
    var withMask = true
    var gradientDType: HDF5ElementType = .float32
    /// Datasets to leave out (paths).
    var omit: Set<String> = []
    /// Overrides: logits N×K, gradients per layer.
    var logits: [Float]? = nil
    var gradients: [String: [Float]] = [:]
    var activations: [String: [Float]] = [:]
    /// A gradient shape different from its activation's, to test the check.
    var gradientShapeOverride: [String: [Int]] = [:]
    var ids: [String]? = nil
}

enum TestDumps {
    static func temporaryFolder(_ name: String = #function) -> String {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "loupe-analyzers-\(clean)-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes a dump and returns its path. Activations are ReLU'd Gaussians; gradients Gaussians; the
    /// object is a square whose box and mask agree.
    @discardableResult
    static func write(_ spec: DumpSpec, to path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: spec.seed)
        let n = spec.n, s = spec.size, k = spec.classes
        let D = RunFormat.Dump.self
        let labels = (0..<n).map { $0 % k }
        var images = [UInt8](repeating: 0, count: n * s * s * 3)
        var boxes = [Float](), mask = [UInt8](repeating: 0, count: n * s * s)
        var background = [Float]()
        for i in 0..<n {
            let bg = (0..<3).map { _ in rng.nextFloat() }
            background += bg
            let x0 = Int(rng.next() % UInt64(s / 2)), y0 = Int(rng.next() % UInt64(s / 2))
            let side = s / 2
            boxes += [Float(x0), Float(y0), Float(x0 + side), Float(y0 + side)]
            for y in 0..<s {
                for x in 0..<s {
                    let inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side
                    if inside { mask[(i * s + y) * s + x] = 1 }
                    for c in 0..<3 {
                        let v: Float = inside ? Float((labels[i] + c) % 3) / 2 : bg[c]
                        images[((i * s + y) * s + x) * 3 + c] = UInt8(v * 255)
                    }
                }
            }
        }
        let logits = spec.logits ?? (0..<(n * k)).map { j in (j % k == labels[j / k] ? 2 : 0) + rng.nextGaussian() }
        try HDF5File.writeAtomically(path) { f in
            if spec.loupeFormat {
                try RunFormat.stamp(f, format: RunFormat.dumpFormat, version: spec.formatVersion)
                try f.setAttribute("epoch", spec.epoch)
                try f.setAttribute("model", "tiny")
                try f.setAttribute("target", spec.target)
                try f.setAttribute("run", spec.run)
                try f.setAttribute("normalization_mean", .doubles([0.5, 0.5, 0.5]))
                try f.setAttribute("normalization_std", .doubles([0.25, 0.25, 0.25]))
                try f.setAttribute("image_size", spec.size)
                try f.setAttribute("seed", Int(spec.seed))
                try f.setAttribute("layers", .strings(spec.layers.map(\.0)))
            }
            func put(_ p: String, _ body: () throws -> Void) throws { if !spec.omit.contains(p) { try body() } }
            try put(D.images) { try f.write(D.images, images, shape: [n, s, s, 3], chunk: [1, s, s, 3], compression: .deflate(level: 4, shuffle: true)) }
            try put(D.labels) { try f.write(D.labels, labels.map(Int32.init)) }
            try put(D.ids) { try f.write(D.ids, strings: spec.ids ?? (0..<n).map { "img-\($0)" }) }
            try put(D.classes) { try f.write(D.classes, strings: (0..<k).map { "class-\($0)" }) }
            try put(D.meanRGB) {
                let pixels = Array(images)
                let means = (0..<n).flatMap { i in (0..<3).map { c in
                    Float((0..<(s * s)).map { Int(pixels[(i * s * s + $0) * 3 + c]) }.reduce(0, +)) / Float(s * s * 255) } }
                try f.write(D.meanRGB, means, shape: [n, 3])
            }
            try put(D.background) { try f.write(D.background, background, shape: [n, 3]) }
            if spec.withBoxes { try put(D.box) { try f.write(D.box, boxes, shape: [n, 4]) } }
            if spec.withMask { try put(D.mask) { try f.write(D.mask, mask, shape: [n, s, s]) } }
            try put(D.logits) { try f.write(D.logits, logits, shape: [n, k]) }
            try put(D.embedding) { try f.write(D.embedding, (0..<(n * 5)).map { j in Float(labels[j / 5] * (j % 5 == labels[j / 5] ? 3 : 0)) + rng.nextGaussian() * 0.3 }, shape: [n, 5]) }
            for (name, c, h, w) in spec.layers {
                let count = n * c * h * w
                let act = spec.activations[name] ?? (0..<count).map { _ in max(0, rng.nextGaussian()) }
                let grad = spec.gradients[name] ?? (0..<count).map { _ in rng.nextGaussian() * 0.1 }
                try put(D.activation(name)) { try f.write(D.activation(name), act, shape: [n, c, h, w], chunk: [1, c, h, w]) }
                let gshape = spec.gradientShapeOverride[name] ?? [n, c, h, w]
                let gvalues = gshape.reduce(1, *) == count ? grad : (0..<gshape.reduce(1, *)).map { _ in Float(0.01) }
                try put(D.gradient(name)) { try f.write(D.gradient(name), gvalues, shape: gshape, storeAs: spec.gradientDType, chunk: [1] + gshape.dropFirst()) }
            }
        }
        return path
    }
}
