import LoupeCore

/// Heat maps blended onto images, as Grad-CAM overlays are shown.
public enum Overlay {
    /// `(1 − alpha)·image + alpha·colormap(heat)`, with `heat` in [0, 1], H × W like the image.
    public static func blend(_ image: Image, heat: ArraySlice<Double>, colormap: Colormap, alpha: Double) -> Image {
        let rgb = image.rgb()
        var out = rgb.pixels
        let a = Float(min(max(alpha, 0), 1))
        for (p, v) in heat.enumerated() where p < rgb.width * rgb.height {
            let c = colormap.color(v)
            out[3 * p] = mix(rgb.pixels[3 * p], c.r, a)
            out[3 * p + 1] = mix(rgb.pixels[3 * p + 1], c.g, a)
            out[3 * p + 2] = mix(rgb.pixels[3 * p + 2], c.b, a)
        }
        return Image(width: rgb.width, height: rgb.height, channels: 3, pixels: out)
    }

    /// The heat map alone in the colormap.
    public static func heatImage(_ heat: ArraySlice<Double>, width: Int, height: Int, colormap: Colormap) -> Image {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for (p, v) in heat.enumerated() where p < width * height {
            let c = colormap.color(v)
            out[3 * p] = UInt8((c.r * 255).rounded()); out[3 * p + 1] = UInt8((c.g * 255).rounded()); out[3 * p + 2] = UInt8((c.b * 255).rounded())
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }

    @inline(__always) static func mix(_ base: UInt8, _ color: Float, _ a: Float) -> UInt8 {
        UInt8(min(255, max(0, ((1 - a) * Float(base) + a * color * 255).rounded())))
    }
}
