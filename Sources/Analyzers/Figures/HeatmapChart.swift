import Foundation

/// A rows × columns grid of values in a perceptual colormap, with tick labels, optional numbers in
/// the cells and a colorbar.
public struct HeatmapChart: Chart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Row-major, rows × columns; NaN cells are drawn gray.
    public var values: [Double]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var colormap: Colormap = .viridis
    public var range: ClosedRange<Double>? = nil
    public var colorbarLabel: String = ""
    /// Print each value in its cell (small grids).
    public var annotate = true
    public var format: (Double) -> String = { Fmt.g($0, digits: 2) }

    public init(title: String, xLabel: String = "", yLabel: String = "", values: [Double], rowLabels: [String], columnLabels: [String]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
    }

    public func draw(on c: Canvas, in outer: Rect) {
        let rows = rowLabels.count, cols = columnLabels.count
        guard rows > 0, cols > 0, values.count == rows * cols else { return }
        let finite = values.filter(\.isFinite)
        var r = range ?? ((finite.min() ?? 0)...(finite.max() ?? 1))
        if r.upperBound - r.lowerBound < 1e-12 { r = (r.lowerBound - 0.5)...(r.upperBound + 0.5) }
        let rowTextWidth = rowLabels.map { c.textWidth($0, size: Style.tick) }.max() ?? 0
        let colTextWidth = columnLabels.map { c.textWidth($0, size: Style.tick) }.max() ?? 0
        let top = title.isEmpty ? 8 : Style.title + 14
        let colorbar = colorbarLabel.isEmpty ? 62.0 : 78.0
        var plotWidth = outer.width - (yLabel.isEmpty ? 0 : Style.label + 8) - rowTextWidth - 12 - colorbar
        let cellWidth = plotWidth / Double(cols)
        let rotate = colTextWidth > cellWidth - 4
        let bottomText = rotate ? colTextWidth * 0.72 + 10 : Style.tick + 10
        var plotHeight = outer.height - top - bottomText - (xLabel.isEmpty ? 4 : Style.label + 10)
        // Square-ish cells read better than stretched ones.
        let cell = min(plotWidth / Double(cols), plotHeight / Double(rows))
        let maxAspect = 1.6
        let cw = min(plotWidth / Double(cols), cell * maxAspect), ch = min(plotHeight / Double(rows), cell * maxAspect)
        plotWidth = cw * Double(cols)
        plotHeight = ch * Double(rows)
        let left = outer.x + (yLabel.isEmpty ? 0 : Style.label + 8) + rowTextWidth + 10
        let frame = Rect(left, outer.y + top, plotWidth, plotHeight)
        for i in 0..<rows {
            for j in 0..<cols {
                let v = values[i * cols + j]
                let t = (v - r.lowerBound) / (r.upperBound - r.lowerBound)
                let color = colormap.color(t)
                c.setColor(color)
                c.rect(frame.x + Double(j) * cw, frame.y + Double(i) * ch, cw + 0.3, ch + 0.3)
                c.fill()
                if annotate, cw >= 26, ch >= 13 {
                    let text = format(v)
                    let size = min(Style.tick, cw / max(Double(text.count), 1) * 1.6)
                    c.text(text, x: frame.x + (Double(j) + 0.5) * cw, y: frame.y + (Double(i) + 0.5) * ch, size: size, h: .center, v: .middle,
                           color: v.isFinite && color.luminance < 0.45 ? .white : .black)
                }
            }
        }
        c.setColor(Style.spine)
        c.lineWidth(0.8)
        c.rect(frame.x, frame.y, frame.width, frame.height)
        c.stroke()
        for (i, label) in rowLabels.enumerated() {
            c.text(label, x: frame.x - 6, y: frame.y + (Double(i) + 0.5) * ch, size: Style.tick, h: .right, v: .middle)
        }
        for (j, label) in columnLabels.enumerated() {
            let x = frame.x + (Double(j) + 0.5) * cw
            if rotate {
                c.text(label, x: x + 3, y: frame.maxY + 5, size: Style.tick, h: .right, v: .top, rotation: Double.pi / 4)
            } else {
                c.text(label, x: x, y: frame.maxY + 5, size: Style.tick, h: .center, v: .top)
            }
        }
        if !xLabel.isEmpty {
            c.centredText(xLabel, x: frame.x + frame.width / 2, y: frame.maxY + bottomText + 2, within: outer.x + 2, outer.maxX - 2, size: Style.label)
        }
        if !yLabel.isEmpty {
            let fit = c.fitted(yLabel, span: outer.span(around: frame.y + frame.height / 2), size: Style.label)
            c.text(fit.text, x: outer.x + 2, y: frame.y + frame.height / 2, size: fit.size, h: .center, v: .top, rotation: Double.pi / 2)
        }
        if !title.isEmpty {
            // Centred on the cells, but kept inside the panel: a long title over a narrow map must not run off the canvas.
            c.centredText(title, x: frame.x + frame.width / 2, y: outer.y + 6, within: outer.x + 2, outer.maxX - 2, size: Style.title, bold: true)
        }
        drawColorbar(on: c, x: frame.maxX + 12, y: frame.y, height: frame.height, range: r, panel: outer)
    }

    func drawColorbar(on c: Canvas, x: Double, y: Double, height: Double, range r: ClosedRange<Double>, panel: Rect) {
        let w = 11.0, steps = 128
        for s in 0..<steps {
            let t0 = Double(s) / Double(steps)
            c.setColor(colormap.color(t0 + 0.5 / Double(steps)))
            c.rect(x, y + height * (1 - t0 - 1 / Double(steps)), w, height / Double(steps) + 0.4)
            c.fill()
        }
        c.setColor(Style.spine)
        c.lineWidth(0.6)
        c.rect(x, y, w, height)
        c.stroke()
        let ticks = Ticks.nice(r.lowerBound, r.upperBound, count: 5)
        for (t, label) in zip(ticks, Ticks.labels(ticks)) {
            let py = y + height * (1 - (t - r.lowerBound) / (r.upperBound - r.lowerBound))
            c.segment(x + w, py, x + w + 3, py)
            c.text(label, x: x + w + 5, y: py, size: Style.tick - 0.5, v: .middle)
        }
        if !colorbarLabel.isEmpty {
            let fit = c.fitted(colorbarLabel, span: panel.span(around: y + height / 2), size: Style.tick)
            c.text(fit.text, x: x + w + 44, y: y + height / 2, size: fit.size, h: .center, v: .top, rotation: Double.pi / 2)
        }
    }
}
