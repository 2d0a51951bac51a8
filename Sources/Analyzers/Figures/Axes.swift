import Foundation

/// A rectangle in points.
public struct Rect: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// The longest vertical text centred at `y` that stays inside (2 points of margin each side).
    func span(around y: Double) -> Double { max(0, 2 * min(y - self.y, maxY - y) - 4) }

    public init(_ x: Double, _ y: Double, _ width: Double, _ height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }

    func inset(left: Double = 0, top: Double = 0, right: Double = 0, bottom: Double = 0) -> Rect {
        Rect(x + left, y + top, max(width - left - right, 1), max(height - top - bottom, 1))
    }

    func contains(_ px: Double, _ py: Double) -> Bool { px >= x && px <= maxX && py >= y && py <= maxY }
}

/// Text sizes and greys shared by every chart, close to matplotlib's defaults at 100 %.
enum Style {
    static let title = 12.5
    static let label = 10.5
    static let tick = 9.0
    static let legend = 9.0
    static let caption = 8.5
    static let spine = RGB(0.2, 0.2, 0.2)
    static let grid = RGB(0.9, 0.9, 0.9)
    static let muted = RGB(0.35, 0.35, 0.35)
}

/// Data ranges mapped onto a plot area, with "nice" ticks (1, 2, 5 × 10ᵏ), spines, tick labels,
/// axis labels and a title.
struct Axes {
    var frame: Rect
    var x: ClosedRange<Double>
    var y: ClosedRange<Double>

    func px(_ v: Double) -> Double { frame.x + (v - x.lowerBound) / max(x.upperBound - x.lowerBound, 1e-300) * frame.width }
    func py(_ v: Double) -> Double { frame.maxY - (v - y.lowerBound) / max(y.upperBound - y.lowerBound, 1e-300) * frame.height }

    /// The plot area left inside `outer` once the title, axis labels and tick labels have room.
    static func layout(in outer: Rect, canvas: Canvas, title: String, xLabel: String, yLabel: String,
                       yTickLabels: [String], rightReserve: Double) -> Rect {
        let tickWidth = yTickLabels.map { canvas.textWidth($0, size: Style.tick) }.max() ?? 0
        let left = (yLabel.isEmpty ? 4 : Style.label + 8) + tickWidth + 10
        let top = title.isEmpty ? 8 : Style.title + 14
        let bottom = Style.tick + 12 + (xLabel.isEmpty ? 2 : Style.label + 8)
        return outer.inset(left: left, top: top, right: rightReserve + 8, bottom: bottom)
    }

    /// Draws light grid lines (optional), the four spines, outward ticks with labels, axis labels and title.
    func draw(on c: Canvas, outer: Rect, title: String, xLabel: String, yLabel: String,
              xTicks: [Double], yTicks: [Double], xTickLabels: [String]? = nil, yTickLabels: [String]? = nil, grid: Bool = true, xGrid: Bool = true) {
        if grid {
            c.setColor(Style.grid)
            c.lineWidth(0.6)
            if xGrid { for t in xTicks where x.contains(t) { c.segment(px(t), frame.y, px(t), frame.maxY) } }
            for t in yTicks where y.contains(t) { c.segment(frame.x, py(t), frame.maxX, py(t)) }
        }
        c.setColor(Style.spine)
        c.lineWidth(0.8)
        c.rect(frame.x, frame.y, frame.width, frame.height)
        c.stroke()
        let xl = xTickLabels ?? Ticks.labels(xTicks)
        let yl = yTickLabels ?? Ticks.labels(yTicks)
        for (t, label) in zip(xTicks, xl) where x.contains(t) {
            c.segment(px(t), frame.maxY, px(t), frame.maxY + 3.5)
            c.text(label, x: px(t), y: frame.maxY + 6, size: Style.tick, h: .center, v: .top, color: Style.spine)
        }
        for (t, label) in zip(yTicks, yl) where y.contains(t) {
            c.segment(frame.x - 3.5, py(t), frame.x, py(t))
            c.text(label, x: frame.x - 6, y: py(t), size: Style.tick, h: .right, v: .middle, color: Style.spine)
        }
        if !xLabel.isEmpty {
            c.centredText(xLabel, x: frame.x + frame.width / 2, y: frame.maxY + Style.tick + 12, within: outer.x + 2, outer.maxX - 2, size: Style.label)
        }
        if !yLabel.isEmpty {
            let fit = c.fitted(yLabel, span: outer.span(around: frame.y + frame.height / 2), size: Style.label)
            c.text(fit.text, x: outer.x + 4, y: frame.y + frame.height / 2, size: fit.size, h: .center, v: .top, rotation: Double.pi / 2)
        }
        if !title.isEmpty {
            c.centredText(title, x: frame.x + frame.width / 2, y: outer.y + 6, within: outer.x + 2, outer.maxX - 2, size: Style.title, bold: true)
        }
    }
}

/// Tick positions and labels.
enum Ticks {
    /// About `count` round values covering [lo, hi].
    static func nice(_ lo: Double, _ hi: Double, count: Int = 6) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        let span = hi - lo
        guard span > 0 else { return [lo] }
        let step = niceStep(span / Double(max(count, 1)))
        var out: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + 1e-9 * span {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    static func niceStep(_ raw: Double) -> Double {
        let p = pow(10, floor(log10(raw)))
        let m = raw / p
        return (m >= 7.5 ? 10 : m >= 3.5 ? 5 : m >= 1.5 ? 2 : 1) * p
    }

    /// A range padded by `fraction` on both sides (a flat range gets ±0.5).
    static func padded(_ values: [Double], fraction: Double = 0.05) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if hi - lo < 1e-12 * max(abs(hi), 1) { return (lo - 0.5)...(hi + 0.5) }
        let pad = (hi - lo) * fraction
        return (lo - pad)...(hi + pad)
    }

    /// Labels with as many decimals as the step needs, a true minus sign, and exponents for extremes.
    static func labels(_ ticks: [Double]) -> [String] {
        guard ticks.count > 1 else { return ticks.map { format($0, decimals: 2) } }
        let step = abs(ticks[1] - ticks[0])
        let magnitude = ticks.map(abs).max() ?? 0
        if magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-3) {
            return ticks.map { $0 == 0 ? "0" : String(format: "%.1e", $0).replacingOccurrences(of: "-", with: "−") }
        }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        return ticks.map { format($0, decimals: decimals) }
    }

    static func format(_ v: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", v).replacingOccurrences(of: "-", with: "−")
    }
}
