import LoupeCore

extension SyntheticDataset {
    /// A grid of samples, one row per class and `columns` images per row (the first images of each
    /// class), with a `gap`-pixel white border between tiles: a quick visual check of the generator.
    /// - Throws: what `sample(at:)` throws.
    public func contactSheet(columns: Int = 12, gap: Int = 2) throws -> Image {
        let k = classList.count, side = options.size
        let rows = k, cols = min(columns, options.perClass)
        let width = cols * side + (cols + 1) * gap, height = rows * side + (rows + 1) * gap
        var sheet = Image(width: width, height: height, channels: 3, fill: 255)
        for row in 0..<rows {
            for col in 0..<cols {
                let tile = try sample(at: col * k + row).image
                let x0 = gap + col * (side + gap), y0 = gap + row * (side + gap)
                for y in 0..<side {
                    let src = y * side * 3, dst = ((y0 + y) * width + x0) * 3
                    sheet.pixels.replaceSubrange(dst..<(dst + side * 3), with: tile.pixels[src..<(src + side * 3)])
                }
            }
        }
        return sheet
    }
}
