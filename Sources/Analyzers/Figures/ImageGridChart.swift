import Foundation
import LoupeCore

/// Images in a grid with column headings, row labels and a small caption under each image.
public struct ImageGridChart: Chart {
    public var title: String
    /// rows × columns; nil leaves a cell empty.
    public var images: [[Image?]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Caption under each cell (same layout as `images`), may be empty.
    public var captions: [[String]]
    /// Coloured frame per cell (e.g. the class colour), optional.
    public var borders: [[RGB?]]
    public var nearest = false

    public init(title: String, images: [[Image?]], rowLabels: [String] = [], columnLabels: [String] = [], captions: [[String]] = [], borders: [[RGB?]] = []) {
        self.title = title
        self.images = images
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.captions = captions
        self.borders = borders
    }

    /// Points needed for cells of `cell` points: handy to size the figure.
    public func preferredSize(cell: Double, canvas: Canvas? = nil) -> (Double, Double) {
        let c = canvas ?? Canvas(width: 10, height: 10, scale: 1)
        let rowText = rowLabels.map { c.textWidth($0, size: Style.label) }.max().map { $0 + 12 } ?? 0
        let cols = images.map(\.count).max() ?? 0
        let hasCaptions = captions.contains { $0.contains { !$0.isEmpty } }
        let rowHeight = cell + (hasCaptions ? Style.caption + 6 : 4)
        let top = (title.isEmpty ? 4 : Style.title + 14) + (columnLabels.isEmpty ? 0 : Style.label + 8)
        return (rowText + Double(cols) * (cell + 4) + 16, top + Double(images.count) * rowHeight + 12)
    }

    public func draw(on c: Canvas, in outer: Rect) {
        let rows = images.count, cols = images.map(\.count).max() ?? 0
        guard rows > 0, cols > 0 else { return }
        let rowText = rowLabels.map { c.textWidth($0, size: Style.label) }.max().map { $0 + 12 } ?? 0
        let hasCaptions = captions.contains { $0.contains { !$0.isEmpty } }
        let top = (title.isEmpty ? 4 : Style.title + 14) + (columnLabels.isEmpty ? 0 : Style.label + 8)
        let captionSpace = hasCaptions ? Style.caption + 6 : 4
        let cell = max(4, min((outer.width - rowText - 8) / Double(cols) - 4, (outer.height - top - 4) / Double(rows) - captionSpace))
        let gridWidth = Double(cols) * (cell + 4)
        let left = outer.x + rowText + max(0, (outer.width - rowText - gridWidth) / 2)
        if !title.isEmpty {
            c.centredText(title, x: left + gridWidth / 2, y: outer.y + 6, within: outer.x + 2, outer.maxX - 2, size: Style.title, bold: true)
        }
        for (j, label) in columnLabels.enumerated() where j < cols {
            c.text(label, x: left + Double(j) * (cell + 4) + cell / 2, y: outer.y + top - 6, size: Style.label, h: .center, v: .bottom)
        }
        for i in 0..<rows {
            let y = outer.y + top + Double(i) * (cell + captionSpace)
            if i < rowLabels.count {
                c.text(rowLabels[i], x: left - 8, y: y + cell / 2, size: Style.label, h: .right, v: .middle)
            }
            for j in 0..<images[i].count {
                let x = left + Double(j) * (cell + 4)
                if let img = images[i][j] {
                    c.image(img, x: x, y: y, width: cell, height: cell, nearest: nearest)
                }
                if i < borders.count, j < borders[i].count, let b = borders[i][j] {
                    c.setColor(b)
                    c.lineWidth(2)
                    c.rect(x - 1, y - 1, cell + 2, cell + 2)
                    c.stroke()
                }
                if i < captions.count, j < captions[i].count, !captions[i][j].isEmpty {
                    c.text(captions[i][j], x: x + cell / 2, y: y + cell + 3, size: Style.caption, h: .center, v: .top, color: Style.muted)
                }
            }
        }
    }
}
