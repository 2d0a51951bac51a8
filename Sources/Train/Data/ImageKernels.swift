// Pixel kernels of the data pipeline: bilinear resampling through an affine map (resize, crop,
// flip and rotation in one pass), integer box reduction (anti-aliasing before large shrinks),
// colour jitter with torchvision's ColorJitter formulas, and normalisation.
//
// Legend:  source image W × H × C (UInt8, HWC);  output S_w × S_h, planar floats C × S_h × S_w
// (one channel plane after another, values in [0, 1] until normalised);  pixel (x, y) has its
// centre at (x + ½, y + ½);  an AffineMap takes an output pixel index (ox, oy) to the source
// position (sx, sy) in centre-based coordinates (sx = 0 is the centre of source column 0).

import LoupeCore

/// Output pixel (ox, oy) ↦ source position (a·ox + b·oy + tx, c·ox + d·oy + ty).
struct AffineMap: Equatable {
    var a: Float, b: Float, tx: Float
    var c: Float, d: Float, ty: Float

    /// Scales a (crop) window [x0, x0 + w) × [y0, y0 + h) of the source (pixel-edge coordinates)
    /// onto an output of `outWidth` × `outHeight` pixels.
    static func window(x0: Float, y0: Float, width w: Float, height h: Float, outWidth: Int, outHeight: Int) -> AffineMap {
        let sx = w / Float(outWidth), sy = h / Float(outHeight)
        return AffineMap(a: sx, b: 0, tx: x0 + 0.5 * sx - 0.5, c: 0, d: sy, ty: y0 + 0.5 * sy - 0.5)
    }

    /// The same map for a source shrunk by an integer `factor` (box reduction).
    func reduced(by factor: Int) -> AffineMap {
        let f = Float(factor)
        // centre-based: s' = (s + ½)/f − ½
        return AffineMap(a: a / f, b: b / f, tx: (tx + 0.5) / f - 0.5, c: c / f, d: d / f, ty: (ty + 0.5) / f - 0.5)
    }

    /// Source pixels per output pixel along the less-shrunk axis (≥ 2 calls for a box prefilter).
    var shrink: Float {
        min((a * a + c * c).squareRoot(), (b * b + d * d).squareRoot())
    }
}

enum ImageKernels {
    /// Bilinear samples of `source` at `map`'s positions, written planar into `out` (C × height × width,
    /// values / 255); positions outside the image take the nearest edge pixel (replicate border).
    /// - Complexity: O(width × height × C).
    static func resample(_ source: Image, map: AffineMap, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let w = source.width, h = source.height, channels = source.channels
        precondition(out.count >= channels * width * height)
        let plane = width * height
        let maxX = Float(w - 1), maxY = Float(h - 1)
        let scale: Float = 1 / 255
        source.pixels.withUnsafeBufferPointer { src in
            for oy in 0..<height {
                let fy = Float(oy)
                var sx = map.b * fy + map.tx, sy = map.d * fy + map.ty
                for ox in 0..<width {
                    let x = min(max(sx, 0), maxX), y = min(max(sy, 0), maxY)
                    let x0 = Int(x), y0 = Int(y)
                    let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                    let fx = x - Float(x0), fy = y - Float(y0)
                    let w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy
                    let p00 = (y0 * w + x0) * channels, p01 = (y0 * w + x1) * channels
                    let p10 = (y1 * w + x0) * channels, p11 = (y1 * w + x1) * channels
                    let o = oy * width + ox
                    for ch in 0..<channels {
                        let v = w00 * Float(src[p00 + ch]) + w01 * Float(src[p01 + ch]) + w10 * Float(src[p10 + ch]) + w11 * Float(src[p11 + ch])
                        out[ch * plane + o] = v * scale
                    }
                    sx += map.a; sy += map.c
                }
            }
        }
    }

    /// Averages `factor` × `factor` blocks (the last partial row/column averages what it has).
    /// - Complexity: O(W × H × C).
    static func boxReduce(_ source: Image, factor: Int) -> Image {
        let w = source.width, h = source.height, channels = source.channels
        let ow = (w + factor - 1) / factor, oh = (h + factor - 1) / factor
        var out = [UInt8](repeating: 0, count: ow * oh * channels)
        var sums = [UInt32](repeating: 0, count: ow * channels)
        source.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<oh {
                    for i in sums.indices { sums[i] = 0 }
                    let yEnd = min(h, (oy + 1) * factor)
                    for y in (oy * factor)..<yEnd {
                        let row = y * w * channels
                        for x in 0..<w {
                            let o = (x / factor) * channels
                            for ch in 0..<channels { sums[o + ch] &+= UInt32(src[row + x * channels + ch]) }
                        }
                    }
                    let rows = UInt32(yEnd - oy * factor)
                    for ox in 0..<ow {
                        let n = rows * UInt32(min(w, (ox + 1) * factor) - ox * factor)
                        for ch in 0..<channels {
                            dst[(oy * ow + ox) * channels + ch] = UInt8((sums[ox * channels + ch] + n / 2) / n)
                        }
                    }
                }
            }
        }
        return Image(width: ow, height: oh, channels: channels, pixels: out)
    }

    /// Multiplies every value by `factor`, clamped to [0, 1] (torchvision `adjust_brightness`).
    static func brightness(_ p: UnsafeMutableBufferPointer<Float>, factor: Float) {
        for i in p.indices { p[i] = min(1, max(0, p[i] * factor)) }
    }

    /// Blends with the mean gray level of the whole image (torchvision `adjust_contrast`).
    static func contrast(_ p: UnsafeMutableBufferPointer<Float>, channels: Int, plane: Int, factor: Float) {
        var mean: Float = 0
        if channels == 3 {
            for i in 0..<plane { mean += 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i] }
        } else {
            for i in 0..<plane { mean += p[i] }
        }
        mean /= Float(plane)
        let offset = (1 - factor) * mean
        for i in 0..<(channels * plane) { p[i] = min(1, max(0, p[i] * factor + offset)) }
    }

    /// Blends each pixel with its own gray level (torchvision `adjust_saturation`); gray images are unchanged.
    static func saturation(_ p: UnsafeMutableBufferPointer<Float>, channels: Int, plane: Int, factor: Float) {
        guard channels == 3 else { return }
        for i in 0..<plane {
            let gray = (1 - factor) * (0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i])
            p[i] = min(1, max(0, p[i] * factor + gray))
            p[plane + i] = min(1, max(0, p[plane + i] * factor + gray))
            p[2 * plane + i] = min(1, max(0, p[2 * plane + i] * factor + gray))
        }
    }

    /// Copies plane 0 into planes 1 and 2 (gray shown to a 3-channel network).
    static func repeatGray(_ p: UnsafeMutableBufferPointer<Float>, plane: Int) {
        for i in 0..<plane { p[plane + i] = p[i]; p[2 * plane + i] = p[i] }
    }

    /// (v − mean[c]) / std[c] per channel plane, in place.
    static func normalize(_ p: UnsafeMutableBufferPointer<Float>, plane: Int, mean: [Float], std: [Float]) {
        for ch in 0..<mean.count {
            let m = mean[ch], inverse = 1 / std[ch], base = ch * plane
            for i in base..<(base + plane) { p[i] = (p[i] - m) * inverse }
        }
    }

    /// Planar floats in [0, 1] → interleaved 8-bit image (rounded).
    static func quantize(_ p: UnsafeBufferPointer<Float>, channels: Int, width: Int, height: Int) -> Image {
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: plane * channels)
        for i in 0..<plane {
            for ch in 0..<channels { pixels[i * channels + ch] = UInt8(min(255, max(0, p[ch * plane + i] * 255 + 0.5))) }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Interleaved 8-bit image → planar floats / 255 in `out`.
    static func planar(_ image: Image, into out: UnsafeMutableBufferPointer<Float>) {
        let plane = image.width * image.height, channels = image.channels
        let scale: Float = 1 / 255
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<plane {
                for ch in 0..<channels { out[ch * plane + i] = Float(src[i * channels + ch]) * scale }
            }
        }
    }
}
