import Foundation

/// Points coloured per point (by class, by their own mean colour, by epoch), with an optional legend
/// outside the axes and dashed reference lines.
public struct ScatterChart: Chart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var x: [Double]
    public var y: [Double]
    public var colors: [RGB]
    /// Hollow markers (e.g. samples whose value is a placeholder such as "exactly zero").
    public var hollow: [Bool]
    public var radius: Double = 3.2
    public var alpha: Double = 0.85
    public var legend: [LegendEntry] = []
    public var legendTitle: String? = nil
    public var verticalLines: [(x: Double, label: String)] = []
    public var horizontalLines: [(y: Double, label: String)] = []
    public var xRange: ClosedRange<Double>? = nil
    public var yRange: ClosedRange<Double>? = nil
    /// Hide tick labels (t-SNE coordinates have no meaning).
    public var hideTickLabels = false
    /// Thin dark edge around markers: needed when colours are the images' own (light ones vanish on white).
    public var edged = false

    public init(title: String, xLabel: String = "", yLabel: String = "", x: [Double], y: [Double], colors: [RGB], hollow: [Bool]? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.y = y
        self.colors = colors
        self.hollow = hollow ?? [Bool](repeating: false, count: x.count)
    }

    public func draw(on c: Canvas, in outer: Rect) {
        let xr = xRange ?? Ticks.padded(x + verticalLines.map(\.x))
        let yr = yRange ?? Ticks.padded(y + horizontalLines.map(\.y))
        let xt = hideTickLabels ? [] : Ticks.nice(xr.lowerBound, xr.upperBound), yt = hideTickLabels ? [] : Ticks.nice(yr.lowerBound, yr.upperBound)
        let legendWidth = legend.isEmpty ? 0 : Legend.width(legend, canvas: c, title: legendTitle)
        let yl = hideTickLabels ? yt.map { _ in "" } : Ticks.labels(yt)
        let frame = Axes.layout(in: outer, canvas: c, title: title, xLabel: xLabel, yLabel: yLabel, yTickLabels: yl, rightReserve: legendWidth)
        let axes = Axes(frame: frame, x: xr, y: yr)
        axes.draw(on: c, outer: outer, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xt, yTicks: yt,
                  xTickLabels: hideTickLabels ? xt.map { _ in "" } : nil, yTickLabels: yl, grid: !hideTickLabels)
        c.save()
        c.clip(x: frame.x, y: frame.y, width: frame.width, height: frame.height)
        for line in verticalLines where xr.contains(line.x) {
            c.setColor(Style.muted)
            c.lineWidth(0.9)
            c.dash([4, 3])
            c.segment(axes.px(line.x), frame.y, axes.px(line.x), frame.maxY)
            c.dash([])
            let anchor = ScatterChart.labelAnchor(lineX: axes.px(line.x), labelWidth: c.textWidth(line.label, size: Style.caption), frame: frame)
            c.text(line.label, x: anchor.x, y: frame.y + 4, size: Style.caption, h: anchor.h, v: .top, color: Style.muted)
        }
        for line in horizontalLines where yr.contains(line.y) {
            c.setColor(Style.muted)
            c.lineWidth(0.9)
            c.dash([4, 3])
            c.segment(frame.x, axes.py(line.y), frame.maxX, axes.py(line.y))
            c.dash([])
            let fit = c.fitted(line.label, span: frame.width - 8, size: Style.caption)
            c.text(fit.text, x: frame.x + 4, y: axes.py(line.y) - 3, size: fit.size, color: Style.muted)
        }
        for i in x.indices where x[i].isFinite && y[i].isFinite {
            let px = axes.px(x[i]), py = axes.py(y[i])
            c.circle(px, py, radius)
            if hollow[i] {
                c.setColor(colors[i], alpha: 1)
                c.lineWidth(1.1)
                c.stroke()
            } else {
                c.setColor(colors[i], alpha: alpha)
                if edged {
                    c.fillPreserve()
                    c.setColor(RGB(0.15, 0.15, 0.15), alpha: 0.7)
                    c.lineWidth(0.4)
                    c.stroke()
                } else {
                    c.fill()
                }
            }
        }
        c.restore()
        if !legend.isEmpty { Legend.draw(legend, on: c, x: frame.maxX + 8, y: frame.y, title: legendTitle) }
    }

    /// Where a vertical line's label goes: right of the line, or left of it (right-aligned) when it would
    /// cross the plot's right edge, as `p = 1` near the largest margin did.
    static func labelAnchor(lineX: Double, labelWidth: Double, frame: Rect) -> (x: Double, h: Canvas.HAlign) {
        lineX + 3 + labelWidth <= frame.maxX - 2 || lineX - 3 - labelWidth < frame.x + 2 ? (lineX + 3, .left) : (lineX - 3, .right)
    }
}
