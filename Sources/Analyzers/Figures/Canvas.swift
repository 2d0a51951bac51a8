// The one door to Cairo: an anti-aliased drawing surface in points (scaled for a crisp PNG), with
// the toy text API on DejaVu Sans (Debian's fonts-dejavu-core). Everything else in Figures/ draws
// through this class and never imports CCairo.
import CCairo
import Foundation
import LoupeCore

/// A white (or transparent) drawing surface; coordinates in points, origin top left.
public final class Canvas {
    let surface: OpaquePointer
    let cr: OpaquePointer
    public let width: Double
    public let height: Double
    /// Pixels per point in the PNG.
    public let scale: Double
    public static let fontFamily = "DejaVu Sans"

    /// The first thing Cairo refused, in its own words; drawing goes on harmlessly (Cairo ignores
    /// calls on a surface in error), and `pngData` throws it, so one bad figure is one clear error.
    public private(set) var failure: String?

    /// Cairo's limit on either side of an image surface, in pixels.
    static let maxPixels = 32767

    public init(width: Double, height: Double, scale: Double = 2, background: RGB? = .white) {
        self.width = width
        self.height = height
        self.scale = scale
        let pw = (width * scale).rounded(), ph = (height * scale).rounded()
        var pixelsW: Int32 = 1, pixelsH: Int32 = 1
        if pw.isFinite, ph.isFinite, pw >= 1, ph >= 1, pw <= Double(Self.maxPixels), ph <= Double(Self.maxPixels) {
            pixelsW = Int32(pw); pixelsH = Int32(ph)
        } else {
            failure = "a figure of \(width)×\(height) points at scale \(scale) does not fit Cairo's 1…\(Self.maxPixels) pixels a side"
        }
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pixelsW, pixelsH)
        cr = cairo_create(surface)
        record(cairo_surface_status(surface), "creating the surface")
        record(cairo_status(cr), "creating the drawing context")
        cairo_scale(cr, scale, scale)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_BEST)
        if let background {
            setColor(background)
            cairo_paint(cr)
        }
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        setColor(.black)
        lineWidth(1)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// The one checker for Cairo statuses: keeps the first failure with Cairo's message.
    func record(_ status: cairo_status_t, _ doing: String) {
        guard status != CAIRO_STATUS_SUCCESS, failure == nil else { return }
        failure = "Cairo failed \(doing): " + String(cString: cairo_status_to_string(status))
    }

    // MARK: - State

    public func setColor(_ c: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(cr, Double(c.r), Double(c.g), Double(c.b), alpha)
    }

    public func lineWidth(_ w: Double) { cairo_set_line_width(cr, w) }

    /// Dash lengths in points; empty for a solid line.
    public func dash(_ pattern: [Double]) {
        pattern.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32(pattern.count), 0) }
    }

    public func save() { cairo_save(cr) }
    public func restore() { cairo_restore(cr) }

    /// Restricts drawing to a rectangle until `restore()`.
    public func clip(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(cr, x, y, width, height)
        cairo_clip(cr)
    }

    // MARK: - Paths

    public func move(_ x: Double, _ y: Double) { cairo_move_to(cr, x, y) }
    public func line(_ x: Double, _ y: Double) { cairo_line_to(cr, x, y) }
    public func closePath() { cairo_close_path(cr) }
    public func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) { cairo_rectangle(cr, x, y, w, h) }

    public func circle(_ x: Double, _ y: Double, _ r: Double) {
        cairo_new_sub_path(cr)
        cairo_arc(cr, x, y, r, 0, 2 * Double.pi)
    }

    public func stroke() { cairo_stroke(cr) }
    public func fill() { cairo_fill(cr) }
    public func fillPreserve() { cairo_fill_preserve(cr) }

    /// A straight segment, stroked.
    public func segment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
        cairo_move_to(cr, x0, y0)
        cairo_line_to(cr, x1, y1)
        cairo_stroke(cr)
    }

    // MARK: - Text

    public enum HAlign { case left, center, right }
    public enum VAlign { case baseline, top, middle, bottom }

    private func font(_ size: Double, bold: Bool) {
        cairo_select_font_face(cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// Width of `text` in points.
    public func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        font(size, bold: bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, text, &e)
        return e.x_advance
    }

    /// `text` made to fit `span` points: the size shrinks toward `minSize`, then the end gives way to "…".
    public func fitted(_ text: String, span: Double, size: Double, minSize: Double = 7, bold: Bool = false) -> (text: String, size: Double, width: Double) {
        var width = textWidth(text, size: size, bold: bold)
        guard width > span, span > 0 else { return (text, size, width) }
        let smaller = max(minSize, size * span / width)
        width = textWidth(text, size: smaller, bold: bold)
        var shown = text
        while width > span, shown.count > 1 {
            shown = String(shown.dropLast(shown.hasSuffix("…") ? 2 : 1)) + "…"
            width = textWidth(shown, size: smaller, bold: bold)
        }
        return (shown, smaller, width)
    }

    /// Draws one line centred on `x` but wholly inside `left…right`: moved inward where it would cross an
    /// edge, and shrunk (then shortened) where it is wider than the span, so no figure clips its titles.
    public func centredText(_ text: String, x: Double, y: Double, within left: Double, _ right: Double, size: Double, v: VAlign = .top,
                            bold: Bool = false, color: RGB = .black) {
        let fit = fitted(text, span: right - left, size: size, bold: bold)
        let centre = min(max(x, left + fit.width / 2), right - fit.width / 2)
        self.text(fit.text, x: centre, y: y, size: fit.size, h: .center, v: v, bold: bold, color: color)
    }

    /// Draws `text` anchored at (x, y), optionally rotated (radians, counter-clockwise positive like math).
    public func text(_ text: String, x: Double, y: Double, size: Double, h: HAlign = .left, v: VAlign = .baseline,
                     bold: Bool = false, color: RGB = .black, rotation: Double = 0) {
        guard !text.isEmpty else { return }
        font(size, bold: bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, text, &e)
        var fe = cairo_font_extents_t()
        cairo_font_extents(cr, &fe)
        let dx: Double = switch h { case .left: 0; case .center: -e.x_advance / 2; case .right: -e.x_advance }
        // Vertical anchors use the font's ascent/descent, so labels line up whatever their letters.
        let capHeight = fe.ascent * 0.72
        let dy: Double = switch v { case .baseline: 0; case .top: capHeight; case .middle: capHeight / 2; case .bottom: -fe.descent }
        save()
        setColor(color)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, -rotation)
        cairo_move_to(cr, dx, dy)
        cairo_show_text(cr, text)
        restore()
    }

    // MARK: - Images

    /// Draws an RGB or gray image into the rectangle, smoothly scaled (or with square pixels when
    /// `nearest`), at `alpha`.
    public func image(_ image: Image, x: Double, y: Double, width w: Double, height h: Double, nearest: Bool = false, alpha: Double = 1) {
        guard image.width > 0, image.height > 0 else { return }
        guard image.width <= Self.maxPixels, image.height <= Self.maxPixels else {
            if failure == nil { failure = "an image of \(image.width)×\(image.height) pixels is larger than Cairo draws (\(Self.maxPixels) a side)" }
            return
        }
        let rgb = image.rgb()
        let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, Int32(rgb.width)))
        guard stride > 0 else { record(CAIRO_STATUS_INVALID_STRIDE, "drawing an image"); return }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: stride * rgb.height)
        defer { buffer.deallocate() }
        for row in 0..<rgb.height {
            for col in 0..<rgb.width {
                let s = (row * rgb.width + col) * 3, d = row * stride + col * 4
                // RGB24 is a native-endian 0x00RRGGBB word: B, G, R, X in memory on little-endian machines.
                buffer[d] = rgb.pixels[s + 2]; buffer[d + 1] = rgb.pixels[s + 1]; buffer[d + 2] = rgb.pixels[s]; buffer[d + 3] = 255
            }
        }
        let source = cairo_image_surface_create_for_data(buffer, CAIRO_FORMAT_RGB24, Int32(rgb.width), Int32(rgb.height), Int32(stride))
        defer { cairo_surface_destroy(source) }
        record(cairo_surface_status(source), "wrapping an image")
        save()
        cairo_rectangle(cr, x, y, w, h)
        cairo_clip(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, w / Double(rgb.width), h / Double(rgb.height))
        cairo_set_source_surface(cr, source, 0, 0)
        let pattern = cairo_get_source(cr)
        cairo_pattern_set_filter(pattern, nearest ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_paint_with_alpha(cr, alpha)
        restore()
    }

    // MARK: - Output

    /// The picture as PNG bytes (written by Cairo's PNG encoder into memory).
    public func pngData() throws -> Data {
        cairo_surface_flush(surface)
        record(cairo_status(cr), "drawing")
        if let failure { throw LoupeError.io(path: "figure", message: failure) }
        let sink = PNGSink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, data, length in
            let sink = Unmanaged<PNGSink>.fromOpaque(closure!).takeUnretainedValue()
            sink.data.append(data!, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw LoupeError.io(path: "figure", message: "Cairo could not encode the PNG: " + String(cString: cairo_status_to_string(status)))
        }
        return sink.data
    }

    /// The picture as an RGB `Image` (alpha composited onto white).
    public func rgbImage() throws -> Image {
        cairo_surface_flush(surface)
        record(cairo_status(cr), "drawing")
        if let failure { throw LoupeError.io(path: "figure", message: failure) }
        let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else {
            throw LoupeError.io(path: "figure", message: "Cairo gave no pixel data for the surface")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            for col in 0..<w {
                let s = row * stride + col * 4, d = (row * w + col) * 3
                // Premultiplied ARGB32: composite onto white.
                let a = Int(data[s + 3])
                pixels[d] = UInt8(min(255, Int(data[s + 2]) + 255 - a))
                pixels[d + 1] = UInt8(min(255, Int(data[s + 1]) + 255 - a))
                pixels[d + 2] = UInt8(min(255, Int(data[s]) + 255 - a))
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }
}

/// Collects PNG bytes from Cairo's stream callback.
final class PNGSink { var data = Data() }
