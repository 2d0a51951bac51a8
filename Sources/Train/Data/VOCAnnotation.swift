import Foundation

/// The first object's box from a PASCAL VOC style XML annotation (what Stanford Dogs ships under
/// `Annotation/`): `<size><width/><height/></size>` and `<object><bndbox><xmin/>…</bndbox></object>`.
package struct VOCAnnotation: Equatable {
    /// VOC's 1-based inclusive pixel coordinates.
    package var xmin: Float, ymin: Float, xmax: Float, ymax: Float
    /// The image size the annotation was made for, when it says.
    package var width: Int?, height: Int?

    /// Parses annotation text; nil when there is no complete `<bndbox>`.
    package static func parse(_ text: String) -> VOCAnnotation? {
        guard let boxRange = text.range(of: "<bndbox>"),
              let boxEnd = text.range(of: "</bndbox>", range: boxRange.upperBound..<text.endIndex) else { return nil }
        let box = String(text[boxRange.upperBound..<boxEnd.lowerBound])
        guard let xmin = number("xmin", in: box), let ymin = number("ymin", in: box),
              let xmax = number("xmax", in: box), let ymax = number("ymax", in: box) else { return nil }
        var width: Int?, height: Int?
        if let sizeStart = text.range(of: "<size>"), let sizeEnd = text.range(of: "</size>", range: sizeStart.upperBound..<text.endIndex) {
            let size = String(text[sizeStart.upperBound..<sizeEnd.lowerBound])
            // Int(exactly:) of a rounded value: "1e30" or "nan" in a file must not trap the conversion.
            width = number("width", in: size).flatMap { Int(exactly: $0.rounded()) }
            height = number("height", in: size).flatMap { Int(exactly: $0.rounded()) }
        }
        return VOCAnnotation(xmin: xmin, ymin: ymin, xmax: xmax, ymax: ymax, width: width, height: height)
    }

    /// The value of `<tag>…</tag>` in `text` as a number.
    private static func number(_ tag: String, in text: String) -> Float? {
        guard let open = text.range(of: "<\(tag)>"),
              let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex) else { return nil }
        return Float(text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The box in pixel-edge coordinates `[x0, y0, x1, y1]` of an image of `width` × `height`
    /// (scaled if the annotation was made for another size), clamped to the image; nil if empty.
    package func box(width imageWidth: Int, height imageHeight: Int) -> [Float]? {
        let sx = width.map { $0 > 0 ? Float(imageWidth) / Float($0) : 1 } ?? 1
        let sy = height.map { $0 > 0 ? Float(imageHeight) / Float($0) : 1 } ?? 1
        let x0 = min(max((xmin - 1) * sx, 0), Float(imageWidth)), x1 = min(max(xmax * sx, 0), Float(imageWidth))
        let y0 = min(max((ymin - 1) * sy, 0), Float(imageHeight)), y1 = min(max(ymax * sy, 0), Float(imageHeight))
        return x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : nil
    }
}
