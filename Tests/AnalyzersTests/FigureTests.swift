import Foundation
import LoupeCore
import Testing
@testable import Analyzers

/// Renders every chart type on small made-up data. Set LOUPE_FIGURE_DIR to keep the PNGs and look at them.
@Suite struct FigureTests {
    func keep(_ name: String, _ data: Data) throws {
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FIGURE_DIR"] {
            try data.write(to: URL(fileURLWithPath: dir + "/" + name))
        }
    }

    func decoded(_ data: Data) throws -> Image {
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        return try Image.decode(data)
    }

    @Test func scatterWithLegendAndLines() throws {
        var rng = SeededGenerator(seed: 1)
        var xs: [Double] = [], ys: [Double] = [], colors: [RGB] = []
        let palette = Palette.colors(count: 8)
        for k in 0..<8 {
            for _ in 0..<40 {
                xs.append(Double(k % 4) * 10 + Double(rng.nextGaussian()) * 2)
                ys.append(Double(k / 4) * 10 + Double(rng.nextGaussian()) * 2)
                colors.append(palette[k])
            }
        }
        var chart = ScatterChart(title: "t-SNE, coloured by class", xLabel: "t-SNE 1", yLabel: "t-SNE 2", x: xs, y: ys, colors: colors)
        chart.legend = (0..<8).map { LegendEntry("class \($0)", palette[$0]) }
        chart.legendTitle = "class"
        chart.verticalLines = [(17, "p rounds to 1")]
        let png = try FigureRenderer.render([chart], panelSize: (520, 380))
        try keep("scatter.png", png)
        let img = try decoded(png)
        #expect(img.width == 1040 && img.height == 760)
        // Not blank: many distinct colours drawn.
        #expect(Set(stride(from: 0, to: img.pixels.count, by: 3 * 97).map { img.pixels[$0] }).count > 10)
    }

    @Test func linesBarsHeatmapGrid() throws {
        let lines = LineChart(title: "Attention on the object", xLabel: "epoch", yLabel: "fraction", series: [
            .init("CAM energy inside mask", x: [0, 5, 10, 15, 20], y: [0.13, 0.25, 0.38, 0.41, 0.44], color: Palette.colors(count: 2)[0]),
            .init("pointing game", x: [0, 5, 10, 15, 20], y: [0.1, 0.3, 0.52, 0.6, 0.62], color: Palette.colors(count: 2)[1]),
            .init("chance (mask area)", x: [0, 20], y: [0.128, 0.128], color: .gray, dashed: true, markers: false),
        ])
        var scree = LineChart(title: "Scree", xLabel: "component", yLabel: "explained variance ratio", series: [
            .init("per component", x: (1...10).map(Double.init), y: (1...10).map { 0.4 / Double($0) }, color: Palette.colors(count: 1)[0], bars: true),
            .init("cumulative", x: (1...10).map(Double.init), y: (1...10).map { i in (1...i).map { 0.4 / Double($0) }.reduce(0, +) / 1.2 }, color: RGB(hex: "#d62728")),
        ])
        scree.integerX = true
        var heat = HeatmapChart(title: "Zero or vanishing gradients", xLabel: "epoch", yLabel: "layer",
                                values: [0, 0, 0.1, 0.5, 0, 0.02, 0.3, 0.9, 0, 0, 0, 0.25], rowLabels: ["layer2", "layer3", "layer4.1"],
                                columnLabels: ["0", "10", "20", "30"])
        heat.colormap = .inferno
        heat.range = 0...1
        heat.colorbarLabel = "fraction of samples"
        let png = try FigureRenderer.render([lines, scree, heat], columns: 3)
        try keep("lines_scree_heat.png", png)
        _ = try decoded(png)

        var images: [[Image?]] = []
        for r in 0..<3 {
            images.append((0..<4).map { c in
                Image(width: 8, height: 8, channels: 3, pixels: (0..<192).map { UInt8(($0 * (r + 1) * 7 + c * 40) % 256) })
            })
        }
        let grid = ImageGridChart(title: "Grad-CAM over epochs", images: images, rowLabels: ["id 1", "id 2", "id 3"],
                                  columnLabels: ["image", "epoch 0", "epoch 10", "epoch 20"], captions: images.map { $0.map { _ in "0.42" } })
        let gpng = try FigureRenderer.render([grid], panelSize: grid.preferredSize(cell: 90))
        try keep("grid.png", gpng)
        _ = try decoded(gpng)
    }

    /// Columns of `img` (rows `rows`) that hold dark ink, e.g. title text.
    func inkColumns(_ img: Image, rows: Range<Int>) -> [Int] {
        (0..<img.width).filter { x in rows.contains { y in
            let i = (y * img.width + x) * img.channels
            return Int(img.pixels[i]) + Int(img.pixels[i + 1]) + Int(img.pixels[i + 2]) < 200
        } }
    }

    @Test("a long heat-map title over a narrow map stays inside the canvas (it was centred on the cells and ran off the left edge)")
    func heatmapTitleFits() throws {
        var h = HeatmapChart(title: "Samples with zero or vanishing gradient at every recorded layer", xLabel: "epoch", yLabel: "layer",
                             values: [0.1, 0.2, 0.3, 0.4], rowLabels: ["layer1", "layer2", "layer3", "layer4"], columnLabels: ["16"])
        h.colorbarLabel = "share of samples with zero or vanishing gradients, at the last epoch"
        let png = try FigureRenderer.render([h, h], columns: 2, panelSize: (380, 300), scale: 1)
        try keep("heatmap-long-title.png", png)
        let img = try decoded(png)
        let title = inkColumns(img, rows: 4..<24)
        #expect(!title.isEmpty, "no title drawn")
        // Ink stays clear of the canvas edges and of the border between the two panels.
        #expect(title.allSatisfy { $0 >= 2 && $0 <= img.width - 3 && !(378...381).contains($0) }, "title ink at columns \(title.prefix(3))…\(title.suffix(3))")
    }

    @Test("a vertical line's label near the right edge goes left of the line; elsewhere right of it")
    func lineLabelFits() {
        let frame = Rect(50, 20, 400, 300)
        let right = ScatterChart.labelAnchor(lineX: 440, labelWidth: 80, frame: frame)
        #expect(right.h == .right && right.x == 437)
        let left = ScatterChart.labelAnchor(lineX: 100, labelWidth: 80, frame: frame)
        #expect(left.h == .left && left.x == 103)
    }

    @Test("a margin figure with its p = 1 line near the largest margin keeps the label inside the plot")
    func marginLabelInside() throws {
        func render(_ label: String) throws -> Image {
            var chart = ScatterChart(title: "Logit margin vs gradient size", xLabel: "logit margin", yLabel: "log10 max |gradient|",
                                     x: [0, 5, 10, 15.5], y: [-2, -3, -5, -8], colors: [RGB](repeating: RGB(0.2, 0.4, 0.8), count: 4))
            chart.verticalLines = [(16, label)]
            let png = try FigureRenderer.render([chart], panelSize: (400, 300), scale: 1)
            try keep("margin-label\(label.isEmpty ? "-none" : "").png", png)
            return try decoded(png)
        }
        let with = try render("p = 1 in float32"), without = try render("")
        // The label's ink is what differs; the line sits at the plot's right edge (the x range is padded to 16).
        let ink = (0..<with.width).filter { x in (0..<with.height).contains { y in
            let i = (y * with.width + x) * 3
            return (0..<3).contains { abs(Int(with.pixels[i + $0]) - Int(without.pixels[i + $0])) > 40 }
        } }
        #expect(ink.count > 20, "no label drawn")
        // Fully drawn: at least as wide as the text needs (a clipped label loses most of its columns).
        #expect((ink.max() ?? 0) - (ink.min() ?? 0) > 60, "label columns \(ink.min() ?? 0)…\(ink.max() ?? 0)")
        #expect((ink.max() ?? 0) < with.width - 10, "label ink reaches column \(ink.max() ?? 0) of \(with.width)")
    }

    @Test func colormapsMatchPublishedEndpoints() {
        // viridis starts dark purple and ends yellow; inferno starts near black and ends pale yellow.
        #expect(Colormap.viridis.color(0) == RGB(0.267004, 0.004874, 0.329415))
        #expect(Colormap.viridis.color(1) == RGB(0.993248, 0.906157, 0.143936))
        #expect(Colormap.inferno.color(0).luminance < 0.01)
        #expect(Colormap.inferno.color(1).luminance > 0.9)
        #expect(Colormap.viridis.table.count == 768 && Colormap.inferno.table.count == 768)
        // Luminance rises monotonically along both maps (what makes them perceptual).
        for map in Colormap.allCases {
            let l = stride(from: 0.0, through: 1.0, by: 0.05).map { map.color($0).luminance }
            #expect(zip(l, l.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func ticksAreRound() {
        #expect(Ticks.nice(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map { ($0 * 10).rounded() / 10 } || Ticks.nice(0, 1).count == 6)
        #expect(Ticks.labels([0, 0.5, 1]) == ["0.0", "0.5", "1.0"])
        #expect(Ticks.labels([-10, 0, 10]) == ["−10", "0", "10"])
    }
}

@Suite("Cairo statuses")
struct CanvasStatusTests {
    @Test("a canvas or an image beyond Cairo's size limit is a clear error at encoding, not a trap")
    func oversizeIsAnError() {
        #expect { try Canvas(width: 1e9, height: 10).pngData() } throws: { "\($0)".contains("32767") }
        #expect { try Canvas(width: .nan, height: 10).pngData() } throws: { "\($0)".contains("does not fit") }
        let canvas = Canvas(width: 20, height: 20)
        canvas.image(Image(width: 40000, height: 1, channels: 3, pixels: [UInt8](repeating: 9, count: 120000)), x: 0, y: 0, width: 20, height: 20)
        #expect { try canvas.pngData() } throws: { "\($0)".contains("40000×1") }
        #expect(throws: Never.self) { try Canvas(width: 20, height: 20).pngData() }
    }
}
