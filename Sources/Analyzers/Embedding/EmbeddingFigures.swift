import Foundation
import LoupeCore

/// What a dump says about its probe samples, for colouring and labelling maps; every part optional.
public struct ProbeContext {
    public var labels: [Int]?
    public var classNames: [String]
    public var ids: [String]
    /// N×3 in [0, 1]: `/probe/meta/mean_rgb`, else computed from the images.
    public var meanRGB: Matrix?
    public var images: ProbeImages?

    public static func load(_ dump: DumpFile) throws -> ProbeContext {
        let D = RunFormat.Dump.self
        let images = dump.has(D.images) ? try dump.images() : nil
        var mean: Matrix? = nil
        if dump.has(D.meanRGB) { mean = try dump.unitRGB(D.meanRGB) } else if let images { mean = images.meanRGB() }
        return ProbeContext(labels: dump.has(D.labels) ? try dump.labels() : nil, classNames: try dump.classNames(), ids: try dump.ids(),
                            meanRGB: mean, images: images)
    }

    public func className(_ label: Int) -> String { label >= 0 && label < classNames.count ? classNames[label] : "class \(label)" }
}

/// The three maps every embedding gets — by class, by the images' own colour, with thumbnails —
/// and the interactive version for the HTML report.
enum EmbeddingFigures {
    /// - Parameters:
    ///   - xy: kept rows × 2.
    ///   - kept: file row of each point.
    static func add(to out: inout AnalyzerOutput, prefix: String, method: String, axis: (String, String), xy: [Float], kept: [Int],
                    probe: ProbeContext, seed: UInt64, hideTicks: Bool, file: DumpFile) throws {
        let n = kept.count
        // What the maps are coloured by, per file row, so the notebook can re-draw them.
        if let l = probe.labels, !out.arrays.contains(where: { $0.path == "/labels" }) { out.add(.ints("/labels", l, "probe labels (colours of the class map)")) }
        if let m = probe.meanRGB { out.add(.floats("/mean_rgb", m.values, shape: [m.rows, 3], "each image's mean colour in [0, 1] (colours of the colour map)")) }
        let x = (0..<n).map { Double(xy[2 * $0]) }, y = (0..<n).map { Double(xy[2 * $0 + 1]) }
        // Draw in a seeded random order so no class systematically hides another.
        var order = Array(0..<n)
        var rng = SeededGenerator(seed: seed ^ 0x5EED)
        order.shuffle(using: &rng)
        let labels = probe.labels.map { l in kept.map { l[$0] } }
        let classCount = max(probe.classNames.count, (labels?.max() ?? -1) + 1, 1)
        let palette = Palette.colors(count: classCount)
        let classColors = labels.map { $0.map { palette[max($0, 0) % palette.count] } } ?? [RGB](repeating: palette[0], count: n)
        let title = "\(method) of \(file.label)"

        var byClass = ScatterChart(title: title, xLabel: axis.0, yLabel: axis.1, x: order.map { x[$0] }, y: order.map { y[$0] }, colors: order.map { classColors[$0] })
        byClass.hideTickLabels = hideTicks
        byClass.radius = n > 2000 ? 2 : 3.2
        if labels != nil {
            byClass.legend = (0..<classCount).map { LegendEntry(probe.className($0), palette[$0 % palette.count]) }
            byClass.legendTitle = "class"
        }
        out.figure(try FigureRenderer.figure("\(prefix)_class.png", title: "\(method), coloured by class",
                                             caption: "Each point is a probe image, coloured by its class. Points of one class together mean the representation separates classes.",
                                             charts: [byClass], panelSize: (560, 420)))

        if let mean = probe.meanRGB {
            let colors = kept.map { RGB(mean[$0, 0], mean[$0, 1], mean[$0, 2]) }
            var byColour = ScatterChart(title: title, xLabel: axis.0, yLabel: axis.1, x: order.map { x[$0] }, y: order.map { y[$0] }, colors: order.map { colors[$0] })
            byColour.hideTickLabels = hideTicks
            byColour.edged = true
            byColour.alpha = 1
            byColour.radius = n > 2000 ? 2.2 : 3.6
            out.figure(try FigureRenderer.figure("\(prefix)_colour.png", title: "\(method), coloured by each image's mean colour",
                                                 caption: "The same map, each point drawn in its image's mean colour. A smooth colour gradient across the map means the representation follows colour (a nuisance), not class.",
                                                 charts: [byColour], panelSize: (470, 420)))
        }

        if let images = probe.images {
            var thumbs = ThumbnailMapChart(title: title, x: x, y: y, images: kept.map { images.image($0) }, frameColors: classColors)
            thumbs.seed = seed
            thumbs.hideTickLabels = hideTicks
            thumbs.xLabel = axis.0
            thumbs.yLabel = axis.1
            if labels != nil { thumbs.legend = (0..<classCount).map { LegendEntry(probe.className($0), palette[$0 % palette.count]) } }
            out.figure(try FigureRenderer.figure("\(prefix)_thumbnails.png", title: "\(method) with the probe images",
                                                 caption: "Probe images drawn at their positions (as many as fit without covering each other), framed in their class colour.",
                                                 charts: [thumbs], panelSize: (760, 600)))
        }

        let thumbnails: [Data] = probe.images.map { images in kept.map { (try? Thumbnail.png(images.image($0), maxSide: n > 1500 ? 40 : 64)) ?? Data() } } ?? []
        let hover = kept.enumerated().map { k, row in
            let id = row < probe.ids.count ? probe.ids[row] : String(row)
            return labels.map { "\(id) · \(probe.className($0[k]))" } ?? id
        }
        out.interactive(InteractiveMap(title: "\(method) (interactive)", x: x.map(Float.init), y: y.map(Float.init),
                                       category: labels ?? [Int](repeating: 0, count: n),
                                       categoryNames: labels == nil ? ["probe"] : (0..<classCount).map(probe.className),
                                       labels: hover, thumbnails: thumbnails))
    }

    /// Artifacts every embedding map may write.
    static func artifacts(_ prefix: String, _ method: String) -> [Artifact] {
        [
            Artifact("\(prefix)_class.png", "\(method) map coloured by class (legend)"),
            Artifact("\(prefix)_colour.png", "\(method) map coloured by each image's mean colour", when: "the dump has /probe/images or /probe/meta/mean_rgb"),
            Artifact("\(prefix)_thumbnails.png", "\(method) map with the probe images drawn at their positions", when: "the dump has /probe/images", inCompare: false),
        ]
    }
}

/// Small PNGs of probe images for the HTML report.
enum Thumbnail {
    /// The image shrunk by an integer factor (area average) so its longer side is at most `maxSide`.
    static func png(_ image: Image, maxSide: Int) throws -> Data {
        let rgb = image.rgb()
        let f = max(1, Int((Double(max(rgb.width, rgb.height)) / Double(maxSide)).rounded(.up)))
        guard f > 1 else { return try rgb.pngData() }
        let w = rgb.width / f, h = rgb.height / f
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var s = 0
                    for dy in 0..<f { for dx in 0..<f { s += Int(rgb.pixels[((y * f + dy) * rgb.width + x * f + dx) * 3 + c]) } }
                    out[(y * w + x) * 3 + c] = UInt8(s / (f * f))
                }
            }
        }
        return try Image(width: w, height: h, channels: 3, pixels: out).pngData()
    }
}

extension EmbeddingFigures {
    /// Python re-drawing the class or colour map from `xy` (an expression giving file rows × 2).
    static func notebookPlot(_ fileName: String, prefix: String, xy: String, axis: (String, String)) -> String? {
        let labels = "ax.set_xlabel(\(NotebookCode.quoted(axis.0)))\nax.set_ylabel(\(NotebookCode.quoted(axis.1)))"
        // /labels and /mean_rgb hold every file row; the map holds the kept ones (rows with NaN are dropped).
        let kept = #"kept = result["kept_rows"][...] if "kept_rows" in result else np.arange(len(xy))"#
        switch fileName {
        case "\(prefix)_class.png":
            return """
            xy = \(xy)
            \(kept)
            labels = result["labels"][...][kept] if "labels" in result else np.zeros(len(xy), dtype=int)
            points = ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", vmin=0, vmax=max(9, labels.max()), s=12)
            ax.legend(*points.legend_elements(), title="class", fontsize="small")
            \(labels)
            """
        case "\(prefix)_colour.png":
            return """
            xy = \(xy)
            \(kept)
            ax.scatter(xy[:, 0], xy[:, 1], c=np.clip(result["mean_rgb"][...][kept], 0, 1), s=16, edgecolors="black", linewidths=0.3)
            \(labels)
            """
        case "\(prefix)_thumbnails.png":
            // The images live in the dump, not the result: the first input named in summary.json.
            return """
            import os
            xy = \(xy)
            \(kept)
            dump_path = summary["inputs"][0]
            if not os.path.exists(dump_path):
                print(f"{dump_path} is not here; the thumbnails need the dump's /probe/images")
            else:
                images = h5py.File(dump_path, "r")["probe/images"]
                labels = result["labels"][...][kept] if "labels" in result else np.zeros(len(xy), dtype=int)
                span = np.ptp(xy, axis=0).max() or 1.0
                side = span / 18  # a thumbnail's side in map units
                placed = []
                rng = np.random.default_rng(0)
                for k in rng.permutation(len(xy)):  # greedy: draw an image where it covers no earlier one
                    x, y = xy[k]
                    if all(max(abs(x - px), abs(y - py)) >= side for px, py in placed):
                        placed.append((x, y))
                        ax.imshow(images[kept[k]], extent=(x - side / 2, x + side / 2, y - side / 2, y + side / 2), zorder=2)
                        ax.add_patch(plt.Rectangle((x - side / 2, y - side / 2), side, side, fill=False, lw=1.5,
                                                   edgecolor=f"C{labels[k] % 10}", zorder=3))
                ax.scatter(xy[:, 0], xy[:, 1], c=[f"C{l % 10}" for l in labels], s=4, zorder=1)
                ax.set_xlim(xy[:, 0].min() - side, xy[:, 0].max() + side)
                ax.set_ylim(xy[:, 1].min() - side, xy[:, 1].max() + side)
            \(labels)
            """
        default:
            return nil
        }
    }
}
