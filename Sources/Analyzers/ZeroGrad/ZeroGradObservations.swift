import Foundation
import LoupeCore

/// What is wrong with one layer-sample (one probe sample at one recorded layer of one file).
public struct Symptoms: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A gradient entry is NaN or ±∞ (the other symptoms are then not looked at).
    public static let nonFinite = Symptoms(rawValue: 1 << 0)
    /// Activations recorded, gradients not.
    public static let missing = Symptoms(rawValue: 1 << 1)
    /// Every gradient entry exactly 0.
    public static let zero = Symptoms(rawValue: 1 << 2)
    /// Non-zero but negligible (see ZeroGradAnalyzer).
    public static let vanishing = Symptoms(rawValue: 1 << 3)
    /// Every activation entry exactly 0: a Grad-CAM map is 0 whatever the gradient.
    public static let zeroActivation = Symptoms(rawValue: 1 << 4)
    /// The layer is 1×1: a map cannot localise anything.
    public static let flat = Symptoms(rawValue: 1 << 5)

    public static let zeroOrVanishing: Symptoms = [.zero, .vanishing]

    public var names: [String] {
        [(Symptoms.nonFinite, "non-finite"), (.missing, "no gradient"), (.zero, "all zero"), (.vanishing, "vanishing"),
         (.zeroActivation, "zero activation"), (.flat, "1×1")].filter { contains($0.0) }.map(\.1)
    }
}

/// Everything measured, per (file, layer), that the diagnosis reasons over.
struct ZeroGradObservations {
    struct Cell {
        var dump: Int
        var layer: String
        /// Position of the layer in network order.
        var rank: Int
        var stats: GradientStats
        /// Storage type of the gradients (nil without gradients).
        var storedAs: HDF5ElementType?
        /// Non-zero but negligible, per sample.
        var vanishing: [Bool]
        var symptoms: [Symptoms]

        func affected(_ i: Int) -> Bool { !symptoms[i].isEmpty }
    }

    var dumps: [DumpFile]
    /// Layers in network order.
    var layers: [String]
    var cells: [Cell]
    /// Per file: the replay of its output layer, when /logits is there.
    var replays: [TargetReplay?]

    func cells(of dump: Int) -> [Cell] { cells.filter { $0.dump == dump } }

    /// Symptoms of every layer-sample, from the measured statistics.
    static func symptoms(_ s: GradientStats, vanishing: [Bool]) -> [Symptoms] {
        (0..<s.samples).map { i in
            var out: Symptoms = s.spatial == 1 ? .flat : []
            guard s.hasGradients else { return out.union(.missing) }
            if s.nonFinite[i] { return .nonFinite }
            if s.allZero[i] { out.insert(.zero) }
            if vanishing[i] { out.insert(.vanishing) }
            if s.activationZero?[i] == true { out.insert(.zeroActivation) }
            return out
        }
    }

    /// Layer-samples with at least one symptom.
    var affectedCount: Int { cells.map { c in c.symptoms.filter { !$0.isEmpty }.count }.reduce(0, +) }
    var observationCount: Int { cells.map(\.stats.samples).reduce(0, +) }
}
