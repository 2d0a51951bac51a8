import Foundation
import LoupeCore

/// `gradcam`: Grad-CAM maps per layer and epoch, overlays, the image × epoch grid, and attention on
/// the object where the dump knows where the object is.
public struct GradCAMAnalyzer: Analyzer {
    public init() {}

    public var id: String { Self.id }
    public let summary = "Grad-CAM maps (Selvaraju et al. 2017) per layer and epoch: overlays, image × epoch grid, attention on the object"
    public let arity = InputArity.oneOrMore
    public let needsSameProbe = true

    public var requirements: [Requirement] {
        let D = RunFormat.Dump.self
        return [
            Requirement(D.activations + "/<layer>", producer: "written by `loupe probe --layers L` or `loupe train --dump-epochs`"),
            Requirement(D.gradients + "/<layer>", producer: "written by `loupe probe --layers L`, gradients of its --target, best `logit`"),
            Requirement(D.images, producer: "the probe pixels, written by every Loupe dump"),
            Requirement(D.labels, producer: "probe labels", optional: true),
            Requirement(D.classes, producer: "class names", optional: true),
            Requirement(D.ids, producer: "probe ids", optional: true),
            Requirement(D.mask, producer: "datasets with object masks (the synthetic data)", optional: true),
            Requirement(D.box, producer: "datasets with object boxes (synthetic data, Stanford Dogs)", optional: true),
        ]
    }

    public var options: [OptionSpec] {
        [
            OptionSpec("layers", default: "last", "layers to explain: names or globs (`layer4,layer3.*`), `last` (the last layer with activations and gradients) or `all`"),
            OptionSpec("samples", default: "8", "probe images shown in the figures, chosen round-robin over the classes"),
            OptionSpec("ids", default: "", "probe ids to show instead (comma-separated); overrides `samples`"),
            OptionSpec("colormap", default: "inferno", "colormap of the overlays: inferno or viridis"),
            OptionSpec("alpha", default: "0.5", "weight of the heat map in the overlay (0 = image only, 1 = map only)"),
            OptionSpec("epsilon", default: "1e-7", "added to max − min when normalising a map for display (as pytorch-grad-cam)"),
            OptionSpec("tolerance", default: "0", "pointing-game tolerance in pixels around the object"),
            OptionSpec("save-heatmaps", default: "true", "store the upsampled, normalised maps (N×H×W per layer and epoch) in result.h5"),
        ]
    }

    public var artifacts: [Artifact] {
        [
            Artifact("gradcam_overlays.png", "maps blended onto the probe images, one row per layer (latest epoch)"),
            Artifact("gradcam_epochs.png", "image × epoch grid of the first layer's maps", when: "given dumps of two or more epochs"),
            Artifact("gradcam_object.png", "share of map energy on the object and pointing-game hit rate over epochs", when: "the dump has /probe/meta/mask or /probe/meta/box"),
            Artifact("gradcam_object.csv", "the attention-on-object scores per epoch and layer", when: "the dump has /probe/meta/mask or /probe/meta/box"),
            Artifact("gradcam_maps.csv", "per epoch and layer: maps with zero gradients, all-negative maps, raw map range"),
        ]
    }

    public func validate(inputs: AnalyzerInputs, options: AnalyzerOptions) throws {
        _ = try options.double("alpha", min: 0, max: 1)
        _ = try options.double("epsilon", min: 0)
        _ = try options.int("tolerance", min: 0)
        _ = try options.int("samples", min: 1)
        _ = try options.choice("colormap", Colormap.allCases.map(\.rawValue))
        _ = try options.bool("save-heatmaps")
        let asked = options.list("ids")
        if !asked.isEmpty, let dump = inputs.dumps.first {
            let ids = try dump.ids()
            let unknown = asked.filter { !ids.contains($0) }
            if !unknown.isEmpty {
                throw LoupeError.invalidInput("gradcam: probe ids not in the file: \(unknown.joined(separator: ", ")) (the file has \(ids.prefix(5).joined(separator: ", "))…)")
            }
        }
    }

    public func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let alpha = try options.double("alpha", min: 0, max: 1)
        let epsilon = try options.double("epsilon", min: 0)
        let tolerance = try options.int("tolerance", min: 0)
        let colormap = Colormap(rawValue: try options.choice("colormap", Colormap.allCases.map(\.rawValue)))!
        let saveHeatmaps = try options.bool("save-heatmaps")
        let order = inputs.dumps.indices.sorted { (inputs.dumps[$0].epoch, $0) < (inputs.dumps[$1].epoch, $1) }
        let dumps = order.map { inputs.dumps[$0] }
        var layers = inputs.layers(order[0])
        for i in order.dropFirst() { layers = layers.filter(Set(inputs.layers(i)).contains) }
        guard !layers.isEmpty else {
            throw LoupeError.invalidInput("gradcam: the files share no selected layer (\(order.map { inputs.layers($0).joined(separator: ",") }.joined(separator: " vs ")))")
        }
        let latest = dumps[dumps.count - 1]
        let images = try latest.images()
        let n = images.count
        let labels = latest.has(RunFormat.Dump.labels) ? try latest.labels() : [Int](repeating: 0, count: n)
        let classes = try latest.classNames()
        let ids = try latest.ids()
        let regions = try objectRegions(latest, images: images)
        let shown = try sampleIndices(options: options, ids: ids, labels: labels, n: n)

        var out = AnalyzerOutput()
        out.add(.strings("/ids", ids, "probe ids, row order of every per-sample array"))
        out.add(.ints("/labels", labels, "probe labels"))
        out.add(.strings("/layers", layers, "layers explained"))
        out.add(.ints("/epochs", dumps.map(\.epoch), "epochs, in the order of the epoch groups"))
        if let regions { out.add(.doubles("/object_area_fraction", (0..<n).map(regions.areaFraction), "object's share of the image (chance level)")) }

        var shownMaps: [String: [Int: [Double]]] = [:]  // "epoch|layer" → sample → normalised map
        var mapRows: [[String]] = []
        var objectRows: [[String]] = []
        var attentionSeries: [String: [(Int, Double, Double)]] = [:]  // layer → (epoch, energy, hit)
        var statusSummary: [(String, JSONValue)] = []
        let progress = inputs.progress("gradcam", total: dumps.count * layers.count)
        var groupNames = Set<String>()
        for dump in dumps {
            var group = "/epoch-" + String(format: "%04d", dump.epoch)
            if groupNames.contains(group) { group += "-" + dump.run }
            groupNames.insert(group)
            for layer in layers {
                let maps = try GradCAM.compute(activations: try dump.activations(layer), gradients: try dump.gradients(layer),
                                               imageHeight: images.height, imageWidth: images.width, epsilon: epsilon)
                let base = "\(group)/\(layer)"
                let (h, w) = (maps.featureHeight, maps.featureWidth)
                out.add(.floats(base + "/weights", maps.weights.map(Float.init), shape: [n, maps.channels], "channel weights α = spatial mean of the gradients"))
                out.add(.floats(base + "/cam", maps.cam.map(Float.init), shape: [n, h, w], "ReLU(Σ α·A) at the layer's resolution, raw scale"))
                out.add(.doubles(base + "/raw_min", maps.rawMin, "min of Σ α·A before the ReLU"))
                out.add(.doubles(base + "/raw_max", maps.rawMax, "max of Σ α·A before the ReLU (≤ 0: the ReLU clips the whole map)"))
                out.add(.ints(base + "/status", maps.status.map(\.rawValue), "0 ok, 1 zero gradient, 2 all-negative map"))
                if saveHeatmaps {
                    out.add(.floats(base + "/heatmap", maps.normalized.map(Float.init), shape: [n, images.height, images.width],
                                    "upsampled (bilinear, align_corners=False) and min-max normalised map, as pytorch-grad-cam returns it"))
                }
                let size = images.height * images.width
                for i in shown { shownMaps["\(dump.epoch)|\(layer)", default: [:]][i] = Array(maps.normalized[(i * size)..<((i + 1) * size)]) }
                let zero = maps.status.filter { $0 == .zeroGradient }.count, negative = maps.status.filter { $0 == .allNegative }.count
                mapRows.append([String(dump.epoch), layer, "\(maps.channels)×\(h)×\(w)", String(zero), String(negative),
                                Fmt.g(maps.rawMin.min() ?? 0), Fmt.g(maps.rawMax.max() ?? 0)])
                statusSummary.append(("epoch \(dump.epoch) \(layer)", .object([("zero_gradient", .int(zero)), ("all_negative", .int(negative))])))
                if let regions {
                    let att = GradCAM.attention(maps, regions: regions, tolerance: tolerance)
                    out.add(.doubles(base + "/energy_inside", att.energyInside, "share of map energy on the object (NaN: empty map)"))
                    out.add(.doubles(base + "/pointing_hit", att.pointingHit, "1 if the map's maximum is on the object, 0 if not, NaN for an empty map"))
                    objectRows.append([String(dump.epoch), layer, Fmt.g(att.meanEnergy), Fmt.g(att.hitRate), Fmt.g(att.chance),
                                       String(att.energyInside.filter { !$0.isNaN }.count)])
                    attentionSeries[layer, default: []].append((dump.epoch, att.meanEnergy, att.hitRate))
                }
                progress.advance()
            }
        }
        progress.finish()

        // Report.
        out.markdown(targetNote(dumps))
        let overlays = try overlayFigure(latest: latest, layers: layers, images: images, shown: shown, labels: labels, classes: classes,
                                         maps: shownMaps, colormap: colormap, alpha: alpha)
        out.figure(overlays)
        if dumps.count > 1 {
            out.figure(try epochGrid(dumps: dumps, layer: layers[0], images: images, shown: shown, labels: labels, classes: classes,
                                     maps: shownMaps, colormap: colormap, alpha: alpha))
        }
        out.table(Table(title: "Maps per epoch and layer", columns: ["epoch", "layer", "C×h×w", "zero-gradient maps", "all-negative maps", "raw min", "raw max"],
                        rows: mapRows, fileName: "gradcam_maps.csv"))
        if let regions {
            out.figure(try objectFigure(attentionSeries, chance: GradCAM.nanMean((0..<n).map(regions.areaFraction)), source: regions.source))
            out.table(Table(title: "Attention on the object (\(regions.source))", columns: ["epoch", "layer", "energy inside", "pointing-game hit rate", "chance (object area)", "maps scored"],
                            rows: objectRows, fileName: "gradcam_object.csv"))
            let first = attentionSeries[layers[0]] ?? []
            out.set("attention_on_object", .object([
                ("layer", .string(layers[0])), ("source", .string(regions.source)),
                ("epochs", .ints(first.map(\.0))), ("energy_inside", .doubles(first.map(\.1))), ("pointing_hit_rate", .doubles(first.map(\.2))),
                ("chance", .double(GradCAM.nanMean((0..<n).map(regions.areaFraction)))),
            ]))
        }
        out.set("layers", .strings(layers))
        out.set("samples", .int(n))
        out.set("empty_maps", .object(statusSummary))
        return out
    }

    // MARK: - Inputs

    func objectRegions(_ dump: DumpFile, images: ProbeImages) throws -> ObjectRegions? {
        let D = RunFormat.Dump.self
        if dump.has(D.mask) {
            return ObjectRegions.mask(try dump.floats(D.mask), count: images.count, height: images.height, width: images.width)
        }
        if dump.has(D.box) {
            return ObjectRegions.boxes(try dump.floats(D.box), count: images.count, height: images.height, width: images.width)
        }
        return nil
    }

    /// The samples the figures show: the asked ids, else round-robin over the classes.
    func sampleIndices(options: AnalyzerOptions, ids: [String], labels: [Int], n: Int) throws -> [Int] {
        let asked = options.list("ids")
        if !asked.isEmpty {
            let unknown = asked.filter { !ids.contains($0) }
            if !unknown.isEmpty {
                throw LoupeError.invalidInput("gradcam: probe ids not in the file: \(unknown.joined(separator: ", ")) (the file has \(ids.prefix(5).joined(separator: ", "))…)")
            }
            return asked.compactMap { ids.firstIndex(of: $0) }
        }
        return Self.stratified(labels: labels, count: min(try options.int("samples", min: 1), n))
    }

    /// Up to `count` indices taking the first unused sample of each class in turn.
    static func stratified(labels: [Int], count: Int) -> [Int] {
        var byClass: [Int: [Int]] = [:]
        for (i, l) in labels.enumerated() { byClass[l, default: []].append(i) }
        let classes = byClass.keys.sorted()
        var out: [Int] = [], round = 0
        while out.count < count {
            var added = false
            for c in classes where round < byClass[c]!.count && out.count < count {
                out.append(byClass[c]![round])
                added = true
            }
            if !added { break }
            round += 1
        }
        return out
    }

    func targetNote(_ dumps: [DumpFile]) -> String {
        let targets = Set(dumps.map(\.target.description)).sorted()
        var text = "Grad-CAM: channel weights are the spatial means of the recorded gradients, the map is ReLU(Σ weight·activation), upsampled bilinearly to the image and min-max normalised for display. The gradients in these files are of **\(targets.joined(separator: ", "))**."
        if dumps.contains(where: { $0.target == .prob || $0.target == .loss }) {
            text += " Grad-CAM is defined on the pre-softmax score (`logit`); gradients of the probability or the loss shrink with the softmax and vanish on confidently classified samples (run `loupe analyze zero-grad` on the same files)."
        }
        if dumps.contains(where: { $0.target == .loss }) {
            text += " The loss's gradient points away from the true class, so its maps show evidence *against* it."
        }
        return text
    }

    // MARK: - Figures

    func caption(_ i: Int, labels: [Int], classes: [String]) -> String {
        let l = labels[i]
        let name = l >= 0 && l < classes.count ? classes[l] : "class \(l)"
        return name.count > 14 ? String(name.prefix(13)) + "…" : name
    }

    func overlayFigure(latest: DumpFile, layers: [String], images: ProbeImages, shown: [Int], labels: [Int], classes: [String],
                       maps: [String: [Int: [Double]]], colormap: Colormap, alpha: Double) throws -> Figure {
        var rows: [[Image?]] = [shown.map { images.image($0) }]
        var captions: [[String]] = [shown.map { caption($0, labels: labels, classes: classes) }]
        for layer in layers {
            let m = maps["\(latest.epoch)|\(layer)"] ?? [:]
            rows.append(shown.map { i in m[i].map { Overlay.blend(images.image(i), heat: $0[...], colormap: colormap, alpha: alpha) } })
            captions.append(shown.map { i in (m[i]?.max() ?? 0) > 0 ? "" : "empty map" })
        }
        let grid = ImageGridChart(title: "Grad-CAM, epoch \(latest.epoch)", images: rows, rowLabels: ["image"] + layers, captions: captions)
        let size = grid.preferredSize(cell: 84)
        return try FigureRenderer.figure("gradcam_overlays.png", title: "Grad-CAM overlays",
                                         caption: "Latest epoch (\(latest.epoch)); one row per layer, \(colormap.rawValue) colormap, map weight \(alpha). Probe images chosen round-robin over the classes.",
                                         charts: [grid], panelSize: size)
    }

    func epochGrid(dumps: [DumpFile], layer: String, images: ProbeImages, shown: [Int], labels: [Int], classes: [String],
                   maps: [String: [Int: [Double]]], colormap: Colormap, alpha: Double) throws -> Figure {
        let rows: [[Image?]] = shown.map { i in
            [images.image(i)] + dumps.map { d in maps["\(d.epoch)|\(layer)"]?[i].map { Overlay.blend(images.image(i), heat: $0[...], colormap: colormap, alpha: alpha) } }
        }
        let grid = ImageGridChart(title: "Grad-CAM at \(layer) over training", images: rows,
                                  rowLabels: shown.map { caption($0, labels: labels, classes: classes) },
                                  columnLabels: ["image"] + dumps.map { "epoch \($0.epoch)" })
        return try FigureRenderer.figure("gradcam_epochs.png", title: "Attention over epochs",
                                         caption: "Each row is one probe image; each column the map at \(layer) in the dump of that epoch.",
                                         charts: [grid], panelSize: grid.preferredSize(cell: 80))
    }

    func objectFigure(_ series: [String: [(Int, Double, Double)]], chance: Double, source: String) throws -> Figure {
        let layers = series.keys.sorted()
        let colors = Palette.colors(count: max(layers.count, 1))
        func chart(_ title: String, _ y: String, _ pick: ((Int, Double, Double)) -> Double) -> LineChart {
            var lines = layers.enumerated().map { k, layer in
                LineChart.Series(layer, x: series[layer]!.map { Double($0.0) }, y: series[layer]!.map(pick), color: colors[k])
            }
            let xs = series.values.flatMap { $0.map { Double($0.0) } }
            if let lo = xs.min(), let hi = xs.max() {
                lines.append(.init("chance (object area)", x: [lo, hi == lo ? lo + 1 : hi], y: [chance, chance], color: .gray, dashed: true, markers: false))
            }
            var c = LineChart(title: title, xLabel: "epoch", yLabel: y, series: lines)
            c.integerX = true
            c.yRange = -0.02...1.02
            return c
        }
        return try FigureRenderer.figure("gradcam_object.png", title: "Attention on the object",
                                         caption: "Left: share of Grad-CAM energy inside the object \(source). Right: how often the map's maximum lies on the object (pointing game). Dashed: chance, the object's share of the image.",
                                         charts: [chart("Energy on the object", "share of map energy", { $0.1 }),
                                                  chart("Pointing game", "hit rate", { $0.2 })], columns: 2)
    }
}
