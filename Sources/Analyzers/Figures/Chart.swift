import Foundation
import LoupeCore

/// Something drawn into one panel of a figure.
public protocol Chart {
    func draw(on canvas: Canvas, in frame: Rect)
}

/// One legend entry: a coloured marker (or line) and its text.
public struct LegendEntry: Sendable {
    public var label: String
    public var color: RGB
    public var line: Bool
    public var dashed: Bool
    /// A filled square (bars) instead of a dot.
    public var square: Bool

    public init(_ label: String, _ color: RGB, line: Bool = false, dashed: Bool = false, square: Bool = false) {
        self.label = label
        self.color = color
        self.line = line
        self.dashed = dashed
        self.square = square
    }
}

/// Legends drawn outside the axes on the right, or in the emptiest corner inside them.
enum Legend {
    static let rowHeight = 14.0

    static func width(_ entries: [LegendEntry], canvas: Canvas, title: String? = nil) -> Double {
        let texts = entries.map { canvas.textWidth($0.label, size: Style.legend) } + [title.map { canvas.textWidth($0, size: Style.legend, bold: true) } ?? 0]
        return (texts.max() ?? 0) + 30
    }

    static func height(_ entries: [LegendEntry], title: String? = nil) -> Double {
        Double(entries.count + (title == nil ? 0 : 1)) * rowHeight + 8
    }

    /// Draws the legend with its top-left corner at (x, y); a white box with a light frame when `boxed`.
    static func draw(_ entries: [LegendEntry], on c: Canvas, x: Double, y: Double, title: String? = nil, boxed: Bool = false) {
        let w = width(entries, canvas: c, title: title), h = height(entries, title: title)
        if boxed {
            c.setColor(.white, alpha: 0.9)
            c.rect(x, y, w, h)
            c.fill()
            c.setColor(RGB(0.8, 0.8, 0.8))
            c.lineWidth(0.6)
            c.rect(x, y, w, h)
            c.stroke()
        }
        var row = y + 4 + rowHeight / 2
        if let title {
            c.text(title, x: x + 6, y: row, size: Style.legend, v: .middle, bold: true)
            row += rowHeight
        }
        for e in entries {
            c.setColor(e.color)
            if e.line {
                c.lineWidth(1.8)
                c.dash(e.dashed ? [4, 2.5] : [])
                c.segment(x + 5, row, x + 21, row)
                c.dash([])
            } else if e.square {
                c.rect(x + 8, row - 5, 10, 10)
                c.fill()
            } else {
                c.circle(x + 13, row, 4)
                c.fill()
            }
            c.text(e.label, x: x + 26, y: row, size: Style.legend, v: .middle)
            row += rowHeight
        }
    }

    /// The corner of `frame` whose legend box covers the fewest of `points` (screen coordinates).
    static func bestCorner(_ entries: [LegendEntry], canvas: Canvas, frame: Rect, points: [(Double, Double)]) -> (Double, Double) {
        let w = width(entries, canvas: canvas), h = height(entries)
        let candidates = [(frame.maxX - w - 6, frame.y + 6), (frame.x + 6, frame.y + 6),
                          (frame.maxX - w - 6, frame.maxY - h - 6), (frame.x + 6, frame.maxY - h - 6)]
        var best = candidates[0], bestCount = Int.max
        for c in candidates {
            let box = Rect(c.0 - 8, c.1 - 8, w + 16, h + 16)
            let n = points.filter { box.contains($0.0, $0.1) }.count
            if n < bestCount { best = c; bestCount = n }
        }
        return best
    }
}

/// Lays charts out in a grid and renders the figure to PNG.
public enum FigureRenderer {
    /// - Parameters:
    ///   - panelSize: points per panel (PNG pixels = points × `scale`).
    ///   - title: an overall title above the panels.
    public static func render(_ charts: [any Chart], columns: Int = 1, panelSize: (Double, Double) = (430, 330),
                              title: String? = nil, scale: Double = 2) throws -> Data {
        let cols = max(1, min(columns, charts.count))
        let rows = (charts.count + cols - 1) / cols
        let top = title == nil ? 0.0 : Style.title + 16
        let canvas = Canvas(width: panelSize.0 * Double(cols), height: panelSize.1 * Double(rows) + top, scale: scale)
        if let title {
            canvas.centredText(title, x: canvas.width / 2, y: 8, within: 4, canvas.width - 4, size: Style.title + 1, bold: true)
        }
        for (i, chart) in charts.enumerated() {
            let r = i / cols, c = i % cols
            chart.draw(on: canvas, in: Rect(Double(c) * panelSize.0, top + Double(r) * panelSize.1, panelSize.0, panelSize.1).inset(left: 4, top: 4, right: 4, bottom: 4))
        }
        return try canvas.pngData()
    }

    /// The same, wrapped as a report figure.
    public static func figure(_ fileName: String, title: String, caption: String = "", charts: [any Chart], columns: Int = 1,
                              panelSize: (Double, Double) = (430, 330), heading: String? = nil) throws -> Figure {
        Figure(fileName: fileName, png: try render(charts, columns: columns, panelSize: panelSize, title: heading), title: title, caption: caption)
    }
}
