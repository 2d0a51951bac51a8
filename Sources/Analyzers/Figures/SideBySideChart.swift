import Foundation
import LoupeCore

/// Finished figures (e.g. one per run) placed side by side at a common scale, each under a heading.
public struct SideBySideChart: Chart {
    public var title: String
    public var images: [Image]
    public var headings: [String]
    public var columns: Int

    public init(title: String, images: [Image], headings: [String], columns: Int = 3) {
        self.title = title
        self.images = images
        self.headings = headings
        self.columns = max(1, columns)
    }

    /// The figure size in points for panels `panelWidth` wide, keeping each image's aspect.
    public func preferredSize(panelWidth: Double) -> (Double, Double) {
        let cols = min(columns, max(images.count, 1))
        let rows = (images.count + cols - 1) / cols
        let tallest = images.map { panelWidth * Double($0.height) / Double(max($0.width, 1)) }.max() ?? panelWidth
        return (Double(cols) * (panelWidth + 12) + 8, (title.isEmpty ? 8 : Style.title + 18) + Double(rows) * (tallest + Style.label + 14) + 8)
    }

    public func draw(on c: Canvas, in outer: Rect) {
        guard !images.isEmpty else { return }
        let cols = min(columns, images.count)
        let rows = (images.count + cols - 1) / cols
        let top = title.isEmpty ? 4 : Style.title + 18
        if !title.isEmpty { c.centredText(title, x: outer.x + outer.width / 2, y: outer.y + 6, within: outer.x + 2, outer.maxX - 2, size: Style.title + 1, bold: true) }
        let cellWidth = (outer.width - 4) / Double(cols)
        let cellHeight = (outer.height - top) / Double(rows)
        for (k, image) in images.enumerated() {
            let col = k % cols, row = k / cols
            let x = outer.x + Double(col) * cellWidth + 6, y = outer.y + top + Double(row) * cellHeight
            if k < headings.count {
                c.text(headings[k], x: x + (cellWidth - 12) / 2, y: y + 2, size: Style.label + 1, h: .center, v: .top, bold: true)
            }
            let availableW = cellWidth - 12, availableH = cellHeight - Style.label - 12
            let scale = min(availableW / Double(max(image.width, 1)), availableH / Double(max(image.height, 1)))
            let w = Double(image.width) * scale, h = Double(image.height) * scale
            c.image(image, x: x + (availableW - w) / 2, y: y + Style.label + 10, width: w, height: h)
        }
    }
}
