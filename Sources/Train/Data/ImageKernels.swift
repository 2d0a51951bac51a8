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
    ///
    /// Three paths, same results: whole-pixel shifts and mirrors (the padded crop) copy pixels;
    /// axis-aligned maps (resize, crop) precompute per-column taps; anything else (rotation) computes
    /// taps per pixel. Weights are 11-bit fixed point, so each value costs one int→float conversion.
    /// - Complexity: O(width × height × C).
    static func resample(_ source: Image, map: AffineMap, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= source.channels * width * height)
        // Constant channel counts let the compiler unroll the per-channel loops.
        switch source.channels {
        case 3: resample(source, channels: 3, map: map, width: width, height: height, into: out)
        case 1: resample(source, channels: 1, map: map, width: width, height: height, into: out)
        default: resample(source, channels: source.channels, map: map, width: width, height: height, into: out)
        }
    }

    static let weightBits = 11
    static let weightOne = 1 << weightBits

    @inline(__always)
    private static func resample(_ source: Image, channels: Int, map: AffineMap, width: Int, height: Int,
                                 into out: UnsafeMutableBufferPointer<Float>) {
        let w = source.width, h = source.height, plane = width * height
        let one = weightOne
        let scale: Float = 1 / (255 * Float(one * one))
        let isWhole = map.b == 0 && map.c == 0 && abs(map.a) == 1 && map.d == 1
            && map.tx == map.tx.rounded() && map.ty == map.ty.rounded()
        source.pixels.withUnsafeBufferPointer { src in
            if isWhole {
                let step = Int(map.a), tx = Int(map.tx), ty = Int(map.ty)
                let copyScale: Float = 1 / 255
                for oy in 0..<height {
                    let row = min(max(oy + ty, 0), h - 1) * w
                    for ox in 0..<width {
                        let p = (row + min(max(step * ox + tx, 0), w - 1)) * channels, o = oy * width + ox
                        for ch in 0..<channels { out[ch * plane + o] = Float(src[p + ch]) * copyScale }
                    }
                }
                return
            }
            @inline(__always) func tap(_ position: Float, _ size: Int) -> (Int, Int, Int) {
                let x = min(max(position, 0), Float(size - 1))
                let i = Int(x)
                return (i, min(i + 1, size - 1), Int((x - Float(i)) * Float(one) + 0.5))
            }
            @inline(__always) func blend(_ p00: Int, _ p01: Int, _ p10: Int, _ p11: Int, _ wx: Int, _ wy: Int, _ o: Int) {
                let w00 = (one - wx) * (one - wy), w01 = wx * (one - wy), w10 = (one - wx) * wy, w11 = wx * wy
                for ch in 0..<channels {
                    let v = w00 * Int(src[p00 + ch]) + w01 * Int(src[p01 + ch]) + w10 * Int(src[p10 + ch]) + w11 * Int(src[p11 + ch])
                    out[ch * plane + o] = Float(v) * scale
                }
            }
            if map.b == 0 && map.c == 0 {
                var columns = [(Int, Int, Int)](repeating: (0, 0, 0), count: width)
                for ox in 0..<width {
                    let (x0, x1, wx) = tap(map.a * Float(ox) + map.tx, w)
                    columns[ox] = (x0 * channels, x1 * channels, wx)
                }
                columns.withUnsafeBufferPointer { cols in
                    for oy in 0..<height {
                        let (y0, y1, wy) = tap(map.d * Float(oy) + map.ty, h)
                        let r0 = y0 * w * channels, r1 = y1 * w * channels
                        for ox in 0..<width {
                            let (c0, c1, wx) = cols[ox]
                            blend(r0 + c0, r0 + c1, r1 + c0, r1 + c1, wx, wy, oy * width + ox)
                        }
                    }
                }
                return
            }
            for oy in 0..<height {
                let fy = Float(oy)
                var sx = map.b * fy + map.tx, sy = map.d * fy + map.ty
                for ox in 0..<width {
                    let (x0, x1, wx) = tap(sx, w), (y0, y1, wy) = tap(sy, h)
                    blend((y0 * w + x0) * channels, (y0 * w + x1) * channels, (y1 * w + x0) * channels, (y1 * w + x1) * channels,
                          wx, wy, oy * width + ox)
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
        // Eight independent partial sums: a single running sum would serialise on the add latency.
        var lanes = SIMD8<Float>(repeating: 0)
        let full = plane / 8 * 8
        var i = 0
        while i < full {
            var v = SIMD8<Float>(repeating: 0)
            for k in 0..<8 {
                v[k] = channels == 3 ? 0.299 * p[i + k] + 0.587 * p[plane + i + k] + 0.114 * p[2 * plane + i + k] : p[i + k]
            }
            lanes += v
            i += 8
        }
        var mean = lanes.sum()
        for j in full..<plane { mean += channels == 3 ? 0.299 * p[j] + 0.587 * p[plane + j] + 0.114 * p[2 * plane + j] : p[j] }
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
        switch image.channels {
        case 3: planar(image, channels: 3, into: out)
        case 1: planar(image, channels: 1, into: out)
        default: planar(image, channels: image.channels, into: out)
        }
    }

    @inline(__always)
    private static func planar(_ image: Image, channels: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let plane = image.width * image.height
        let scale: Float = 1 / 255
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<plane {
                for ch in 0..<channels { out[ch * plane + i] = Float(src[i * channels + ch]) * scale }
            }
        }
    }
}
