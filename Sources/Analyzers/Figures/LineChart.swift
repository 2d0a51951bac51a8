import Foundation

/// Several series over a shared x axis: lines with markers, or bars (e.g. a scree plot).
public struct LineChart: Chart {
    public struct Series {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var color: RGB
        public var dashed = false
        public var markers = true
        public var bars = false

        public init(_ name: String, x: [Double], y: [Double], color: RGB, dashed: Bool = false, markers: Bool = true, bars: Bool = false) {
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.dashed = dashed
            self.markers = markers
            self.bars = bars
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var xRange: ClosedRange<Double>? = nil
    public var yRange: ClosedRange<Double>? = nil
    /// Integer x ticks only (epochs, component numbers).
    public var integerX = false
    /// Category names at x = 1, 2, … (bar charts of named metrics).
    public var xTickLabels: [String]? = nil

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    public func draw(on c: Canvas, in outer: Rect) {
        let allX = series.flatMap(\.x), allY = series.flatMap(\.y) + (series.contains { $0.bars } ? [0] : [])
        var xr = xRange ?? Ticks.padded(allX, fraction: series.contains { $0.bars } ? 0.08 : 0.04)
        if xRange == nil, series.contains(where: \.bars), let lo = allX.min(), let hi = allX.max() { xr = (lo - 0.7)...(hi + 0.7) }
        let yr = yRange ?? Ticks.padded(allY, fraction: 0.06)
        var xt = Ticks.nice(xr.lowerBound, xr.upperBound)
        if integerX {
            let step = max(1, (xt.count > 1 ? (xt[1] - xt[0]) : 1).rounded(.up))
            xt = stride(from: (xr.lowerBound / step).rounded(.up) * step, through: xr.upperBound, by: step).map { $0 }
        }
        if let names = xTickLabels { xt = names.indices.map { Double($0 + 1) } }
        let yt = Ticks.nice(yr.lowerBound, yr.upperBound)
        let frame = Axes.layout(in: outer, canvas: c, title: title, xLabel: xLabel, yLabel: yLabel, yTickLabels: Ticks.labels(yt), rightReserve: 0)
        let axes = Axes(frame: frame, x: xr, y: yr)
        axes.draw(on: c, outer: outer, title: title, xLabel: xLabel, yLabel: yLabel, xTicks: xt, yTicks: yt,
                  xTickLabels: xTickLabels ?? (integerX ? xt.map { String(Int($0)) } : nil), xGrid: xTickLabels == nil)
        c.save()
        c.clip(x: frame.x, y: frame.y, width: frame.width, height: frame.height)
        var screenPoints: [(Double, Double)] = []
        let barSeries = series.filter(\.bars)
        for s in series {
            if s.bars {
                let k = Double(barSeries.count), index = Double(barSeries.firstIndex { $0.name == s.name } ?? 0)
                let unit = frame.width / max(xr.upperBound - xr.lowerBound, 1e-9)
                let w = 0.8 * unit / k
                c.setColor(s.color, alpha: 0.9)
                for (xv, yv) in zip(s.x, s.y) where yv.isFinite {
                    let left = axes.px(xv) - 0.4 * unit + index * w
                    c.rect(left, min(axes.py(yv), axes.py(0)), w, abs(axes.py(yv) - axes.py(0)))
                    c.fill()
                    screenPoints.append((axes.px(xv), axes.py(yv)))
                }
                continue
            }
            c.setColor(s.color)
            c.lineWidth(1.8)
            c.dash(s.dashed ? [5, 3] : [])
            var pen = false
            var previous: (Double, Double)? = nil
            for (xv, yv) in zip(s.x, s.y) {
                guard xv.isFinite, yv.isFinite else { pen = false; previous = nil; continue }
                let point = (axes.px(xv), axes.py(yv))
                if pen { c.line(point.0, point.1) } else { c.move(point.0, point.1); pen = true }
                // Points along the segment too, so the legend avoids lines and not only markers.
                if let p = previous { for t in stride(from: 0.05, to: 1, by: 0.05) { screenPoints.append((p.0 + t * (point.0 - p.0), p.1 + t * (point.1 - p.1))) } }
                screenPoints.append(point)
                previous = point
            }
            c.stroke()
            c.dash([])
            if s.markers {
                for (xv, yv) in zip(s.x, s.y) where xv.isFinite && yv.isFinite {
                    c.circle(axes.px(xv), axes.py(yv), 3)
                    c.fill()
                }
            }
        }
        c.restore()
        let entries = series.filter { !$0.name.isEmpty }.map { LegendEntry($0.name, $0.color, line: !$0.bars, dashed: $0.dashed, square: $0.bars) }
        if !entries.isEmpty {
            let corner = Legend.bestCorner(entries, canvas: c, frame: frame, points: screenPoints)
            Legend.draw(entries, on: c, x: corner.0, y: corner.1, boxed: true)
        }
    }
}
