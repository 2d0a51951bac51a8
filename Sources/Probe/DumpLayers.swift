import Foundation
import LoupeCore
import Train

/// Resolves `--layers` (torchvision names, aliases and globs) against a model.
public enum DumpLayers {
    /// Every stage output plus the last conv layer: what a dump records by default.
    public static func defaults(for model: Model) -> [String] {
        switch model.spec.architecture {
        case .resnet18:
            return ["layer1", "layer2", "layer3", "layer4"]
        case .littleconv:
            // nn.Sequential of (conv, bn, relu, pool) × stages: pools at 4i+3; the last ReLU is the last conv layer's output.
            let stages = model.spec.channels.count
            let pools = (0..<stages).map { "features.\(4 * $0 + 3)" }
            return Array(pools.dropLast()) + ["features.\(4 * stages - 2)", pools.last!]
        }
    }

    /// Canonical layer names for `patterns` (empty → defaults), in forward order.
    /// - Throws: `LoupeError.invalidInput` for a name or glob that matches nothing, listing valid names.
    public static func resolve(_ patterns: [String], model: Model, imageSize: Int) throws -> [(name: String, shape: [Int])] {
        let all = model.layerNames(inputSize: imageSize)
        let wanted = patterns.isEmpty ? defaults(for: model) : patterns
        var chosen = Set<String>()
        for pattern in wanted {
            if pattern.contains("*") || pattern.contains("?") || pattern.contains("[") {
                let matches = all.map(\.name).filter { fnmatch(pattern, $0, 0) == 0 }
                guard !matches.isEmpty else {
                    throw LoupeError.invalidInput("--layers '\(pattern)' matches no layer of \(model.name); valid names: \(summary(all.map(\.name)))")
                }
                chosen.formUnion(matches)
            } else {
                chosen.insert(try model.canonicalLayerName(pattern))
            }
        }
        // Only spatial (C×H×W) layers carry Grad-CAM-able activations; fc/dropout are vectors.
        return all.filter { chosen.contains($0.name) && $0.shape.count == 3 }
    }

    static func summary(_ names: [String]) -> String {
        let top = names.filter { !$0.contains(".") || $0.hasPrefix("features.") }
        return top.joined(separator: ", ") + " (all \(names.count): loupe probe --list-layers)"
    }
}
