import LoupeCore

/// The evaluation transform: resize so the shorter side is `outputSize / cropFraction` (bilinear,
/// box-prefiltered for large shrinks), centre-crop `outputSize` × `outputSize`, normalise.
///
/// `apply` returns the 8-bit image the network sees with box, mask and mean colour moved along, and
/// `write` feeds exactly that image to the network, so what the probe records is what was computed on.
public struct Preprocessor: SampleTransform {
    public let outputSize: Int
    /// 1 keeps the whole shorter side; torchvision's ImageNet evaluation uses 0.875 (256 → 224).
    public let cropFraction: Float
    public let normalization: Normalization
    /// 1 or 3; gray images are repeated for 3 (e.g. Fashion-MNIST into an ImageNet ResNet).
    public let outputChannels: Int

    public init(outputSize: Int, cropFraction: Float = 1, normalization: Normalization = .half, outputChannels: Int = 3) {
        precondition(outputSize > 0 && cropFraction > 0 && cropFraction <= 1 && (outputChannels == 1 || outputChannels == 3))
        self.outputSize = outputSize
        self.cropFraction = cropFraction
        self.normalization = normalization.forChannels(outputChannels)
        self.outputChannels = outputChannels
    }

    /// Where the output square lies in the source: the torchvision resize (shorter side → R,
    /// longer side truncated) followed by a centre crop with rounded offsets, as a source window.
    func window(width w: Int, height h: Int) -> (x0: Float, y0: Float, size: Float, scaleX: Float, scaleY: Float) {
        let r = Int((Float(outputSize) / cropFraction).rounded())
        let rw = w <= h ? r : Int(Float(r) * Float(w) / Float(h))
        let rh = w <= h ? Int(Float(r) * Float(h) / Float(w)) : r
        let scaleX = Float(w) / Float(rw), scaleY = Float(h) / Float(rh)
        let offX = Float(((Double(rw - outputSize)) / 2).rounded()), offY = Float(((Double(rh - outputSize)) / 2).rounded())
        return (offX * scaleX, offY * scaleY, Float(outputSize), scaleX, scaleY)
    }

    /// The sample as the network sees it (before normalisation): resized, cropped, channels set;
    /// box clamped to the crop (nil if it falls outside), mask resampled (nearest), mean colour of the
    /// new image. A sample already at the output size with the right channels is returned unchanged.
    /// - Complexity: O(source pixels + output pixels).
    public func apply(_ sample: Sample) -> Sample {
        var image = sample.image
        if image.channels != outputChannels { image = outputChannels == 3 ? image.rgb() : image.gray() }
        let w = image.width, h = image.height
        if w == outputSize && h == outputSize {
            if image == sample.image { return sample }
            var out = sample
            out.image = image
            out.meta.meanRGB = SampleMeta.meanRGB(of: image)
            return out
        }
        let win = window(width: w, height: h)
        var map = AffineMap.window(x0: win.x0, y0: win.y0, width: Float(outputSize) * win.scaleX, height: Float(outputSize) * win.scaleY,
                                   outWidth: outputSize, outHeight: outputSize)
        let factor = Int(map.shrink.rounded(.down))
        if factor >= 2 {
            image = ImageKernels.boxReduce(image, factor: factor)
            map = map.reduced(by: factor)
        }
        let channels = image.channels, n = outputSize
        var planes = [Float](repeating: 0, count: channels * n * n)
        planes.withUnsafeMutableBufferPointer { ImageKernels.resample(image, map: map, width: n, height: n, into: $0) }
        let resized = planes.withUnsafeBufferPointer { ImageKernels.quantize($0, channels: channels, width: n, height: n) }

        var meta = sample.meta
        meta.meanRGB = SampleMeta.meanRGB(of: resized)
        if let box = sample.meta.box {
            let x0 = min(max(box[0] / win.scaleX - win.x0 / win.scaleX, 0), Float(n))
            let y0 = min(max(box[1] / win.scaleY - win.y0 / win.scaleY, 0), Float(n))
            let x1 = min(max(box[2] / win.scaleX - win.x0 / win.scaleX, 0), Float(n))
            let y1 = min(max(box[3] / win.scaleY - win.y0 / win.scaleY, 0), Float(n))
            meta.box = x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : nil
        }
        if let mask = sample.meta.mask {
            var out = [UInt8](repeating: 0, count: n * n)
            for oy in 0..<n {
                let sy = min(h - 1, max(0, Int((win.y0 + (Float(oy) + 0.5) * win.scaleY).rounded(.down))))
                for ox in 0..<n {
                    let sx = min(w - 1, max(0, Int((win.x0 + (Float(ox) + 0.5) * win.scaleX).rounded(.down))))
                    out[oy * n + ox] = mask[sy * w + sx]
                }
            }
            meta.mask = out
        }
        return Sample(image: resized, label: sample.label, id: sample.id, meta: meta)
    }

    public func write(_ sample: Sample, into out: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator) {
        let shown = apply(sample).image
        ImageKernels.planar(shown, into: out)
        ImageKernels.normalize(out, plane: outputSize * outputSize, mean: normalization.mean, std: normalization.std)
    }
}
