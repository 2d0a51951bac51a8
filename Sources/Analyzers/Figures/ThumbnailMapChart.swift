import Foundation
import LoupeCore

/// A 2-D map with the probe images drawn at their positions (every point as a dot, and as many
/// thumbnails as fit without overlapping much), framed in the class colour.
public struct ThumbnailMapChart: Chart {
    public var title: String
    public var x: [Double]
    public var y: [Double]
    public var images: [Image]
    public var frameColors: [RGB]
    public var legend: [LegendEntry] = []
    /// Thumbnail edge as a fraction of the plot width.
    public var thumbnailFraction = 0.075
    public var seed: UInt64 = 0
    public var hideTickLabels = true
    public var xLabel = ""
    public var yLabel = ""

    public init(title: String, x: [Double], y: [Double], images: [Image], frameColors: [RGB]) {
        self.title = title
        self.x = x
        self.y = y
        self.images = images
        self.frameColors = frameColors
    }

    public func draw(on c: Canvas, in outer: Rect) {
        let xr = Ticks.padded(x, fraction: 0.08), yr = Ticks.padded(y, fraction: 0.08)
        let xt = hideTickLabels ? [] : Ticks.nice(xr.lowerBound, xr.upperBound), yt = hideTickLabels ? [] : Ticks.nice(yr.lowerBound, yr.upperBound)
        let legendWidth = legend.isEmpty ? 0 : Legend.width(legend, canvas: c)
        let frame = Axes.layout(in: outer, canvas: c, title: title, xLabel: xLabel, yLabel: yLabel,
                                yTickLabels: hideTickLabels ? [] : Ticks.labels(yt), rightReserve: legendWidth)
        let axes = Axes(frame: frame, x: xr, y: yr)
        axes.draw(on: c, outer: outer, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xt, yTicks: yt,
                  xTickLabels: hideTickLabels ? xt.map { _ in "" } : nil, yTickLabels: hideTickLabels ? yt.map { _ in "" } : nil, grid: false)
        c.save()
        c.clip(x: frame.x, y: frame.y, width: frame.width, height: frame.height)
        for i in x.indices where x[i].isFinite && y[i].isFinite {
            c.setColor(frameColors[i], alpha: 0.6)
            c.circle(axes.px(x[i]), axes.py(y[i]), 1.8)
            c.fill()
        }
        // Greedy placement in a seeded random order: a thumbnail is drawn when no drawn one is closer
        // than 0.9 of its size (the idea of scikit-learn's digits embedding example).
        let size = frame.width * thumbnailFraction
        var order = Array(x.indices.filter { x[$0].isFinite && y[$0].isFinite && $0 < images.count })
        var rng = SeededGenerator(seed: seed)
        order.shuffle(using: &rng)
        var placed: [(Double, Double)] = []
        for i in order {
            let px = axes.px(x[i]), py = axes.py(y[i])
            if placed.contains(where: { abs($0.0 - px) < size * 0.9 && abs($0.1 - py) < size * 0.9 }) { continue }
            placed.append((px, py))
            c.image(images[i], x: px - size / 2, y: py - size / 2, width: size, height: size)
            c.setColor(frameColors[i])
            c.lineWidth(1.6)
            c.rect(px - size / 2, py - size / 2, size, size)
            c.stroke()
        }
        c.restore()
        if !legend.isEmpty { Legend.draw(legend, on: c, x: frame.maxX + 8, y: frame.y) }
    }
}
