import LoupeCore

/// What the training transform does; every amount is drawn per sample from the passed generator.
public struct AugmentOptions: Sendable, Equatable {
    public enum Crop: Sendable, Equatable {
        /// torchvision's RandomResizedCrop: a window of `scale` × the image area and aspect ratio
        /// log-uniform in `ratio`, resized to the output.
        case randomResized(scale: ClosedRange<Float>, ratio: ClosedRange<Float>)
        /// Replicate-pad by `pad` pixels and take a random window of the image's own size (the
        /// prototype study's choice for small synthetic images: objects are never cut much).
        case padded(pad: Int)
        /// The centre square, resized to the output.
        case center
    }

    public var crop: Crop
    /// Mirror left–right with probability ½.
    public var horizontalFlip: Bool
    /// ColorJitter amounts: factors drawn uniformly from [1 − x, 1 + x]; 0 turns one off.
    public var brightness: Float
    public var contrast: Float
    public var saturation: Float
    /// Maximum rotation in degrees (uniform in ±); 0 turns it off.
    public var rotationDegrees: Float

    public init(crop: Crop = .randomResized(scale: 0.6...1, ratio: 0.75...(4.0 / 3.0)), horizontalFlip: Bool = true,
                brightness: Float = 0.2, contrast: Float = 0.2, saturation: Float = 0.2, rotationDegrees: Float = 10) {
        self.crop = crop
        self.horizontalFlip = horizontalFlip
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.rotationDegrees = rotationDegrees
    }

    /// Random resized crop (0.6–1, 3/4–4/3), flip, jitter ±0.2, rotation ±10°: for photos.
    public static let standard = AugmentOptions()
    /// The prototype study's recipe for small images: replicate-pad 6 + random crop, flip, jitter ±0.2.
    public static let smallImages = AugmentOptions(crop: .padded(pad: 6), rotationDegrees: 0)

    /// `.smallImages` for images up to 64 px (synthetic, Fashion-MNIST, CIFAR-10), `.standard` above.
    public static func defaults(forImageSize size: Int) -> AugmentOptions { size <= 64 ? .smallImages : .standard }
}

/// The training transform: crop, flip and rotation as one bilinear resampling (replicate border),
/// then colour jitter in random order, then normalisation.
public struct Augmenter: SampleTransform {
    public let outputSize: Int
    public let outputChannels: Int
    public let options: AugmentOptions
    public let normalization: Normalization

    public init(outputSize: Int, options: AugmentOptions = .standard, normalization: Normalization = .half, outputChannels: Int = 3) {
        precondition(outputSize > 0 && (outputChannels == 1 || outputChannels == 3))
        self.outputSize = outputSize
        self.outputChannels = outputChannels
        self.options = options
        self.normalization = normalization.forChannels(outputChannels)
    }

    /// The random geometry of one sample: the source window (pixel-edge centre and size), flip, angle.
    struct Geometry: Equatable {
        var centreX: Float, centreY: Float, width: Float, height: Float
        var flip: Bool
        var radians: Float
    }

    func drawGeometry(width w: Int, height h: Int, rng: inout SeededGenerator) -> Geometry {
        let fw = Float(w), fh = Float(h)
        var g = Geometry(centreX: fw / 2, centreY: fh / 2, width: fw, height: fh, flip: false, radians: 0)
        switch options.crop {
        case .randomResized(let scale, let ratio):
            var found = false
            for _ in 0..<10 {
                let area = fw * fh * rng.uniform(scale.lowerBound, scale.upperBound)
                let aspect = Float.exponential(rng.uniform(Float.logarithm(ratio.lowerBound), Float.logarithm(ratio.upperBound)))
                let cw = (area * aspect).squareRoot(), ch = (area / aspect).squareRoot()
                if cw <= fw && ch <= fh {
                    g.width = cw; g.height = ch
                    g.centreX = cw / 2 + rng.uniform(0, fw - cw)
                    g.centreY = ch / 2 + rng.uniform(0, fh - ch)
                    found = true
                    break
                }
            }
            if !found {  // torchvision's fallback: the centre crop with the ratio clamped to the range
                let inRatio = fw / fh
                if inRatio < ratio.lowerBound { g.width = fw; g.height = fw / ratio.lowerBound }
                else if inRatio > ratio.upperBound { g.height = fh; g.width = fh * ratio.upperBound }
            }
        case .padded(let pad):
            g.centreX += Float(rng.nextIndex(below: 2 * pad + 1) - pad)
            g.centreY += Float(rng.nextIndex(below: 2 * pad + 1) - pad)
        case .center:
            let side = min(fw, fh)
            g.width = side; g.height = side
        }
        if options.horizontalFlip { g.flip = rng.next() & 1 == 1 }
        if options.rotationDegrees > 0 {
            g.radians = rng.uniform(-options.rotationDegrees, options.rotationDegrees) * .pi / 180
        }
        return g
    }

    /// Output pixel → source position for `g`: u, v ∈ [−½, ½] across the output, flipped, rotated,
    /// scaled to the window and placed at its centre.
    func map(_ g: Geometry) -> AffineMap {
        let s = Float(outputSize)
        let cosA = Float.cosine(g.radians), sinA = Float.sine(g.radians)
        let flip: Float = g.flip ? -1 : 1
        let a = g.width * cosA * flip / s, b = -g.width * sinA / s
        let c = g.height * sinA * flip / s, d = g.height * cosA / s
        let mid = s / 2 - 0.5
        return AffineMap(a: a, b: b, tx: g.centreX - 0.5 - a * mid - b * mid,
                         c: c, d: d, ty: g.centreY - 0.5 - c * mid - d * mid)
    }

    /// Renders the augmented sample as planar [0, 1] floats into `out` (not yet normalised).
    func render(_ sample: Sample, into out: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator) {
        var image = sample.image
        if image.channels == 2 || image.channels == 4 || (image.channels == 3 && outputChannels == 1) {
            image = outputChannels == 3 ? image.rgb() : image.gray()
        }
        let geometry = drawGeometry(width: image.width, height: image.height, rng: &rng)
        var map = map(geometry)
        let factor = Int(map.shrink.rounded(.down))
        if factor >= 2 {
            image = ImageKernels.boxReduce(image, factor: factor)
            map = map.reduced(by: factor)
        }
        let n = outputSize, plane = n * n
        ImageKernels.resample(image, map: map, width: n, height: n, into: out)
        let channels = image.channels
        let drawn = UnsafeMutableBufferPointer(rebasing: out[0..<(channels * plane)])
        // torchvision applies the jitter operations in a random order.
        var order = [0, 1, 2]
        seededShuffle(&order, using: &rng)
        for op in order {
            switch op {
            case 0 where options.brightness > 0:
                ImageKernels.brightness(drawn, factor: rng.uniform(1 - options.brightness, 1 + options.brightness))
            case 1 where options.contrast > 0:
                ImageKernels.contrast(drawn, channels: channels, plane: plane, factor: rng.uniform(1 - options.contrast, 1 + options.contrast))
            case 2 where options.saturation > 0:
                let factor = rng.uniform(1 - options.saturation, 1 + options.saturation)
                ImageKernels.saturation(drawn, channels: channels, plane: plane, factor: factor)
            default: break
            }
        }
        if channels == 1 && outputChannels == 3 { ImageKernels.repeatGray(out, plane: plane) }
    }

    public func write(_ sample: Sample, into out: UnsafeMutableBufferPointer<Float>, rng: inout SeededGenerator) {
        render(sample, into: out, rng: &rng)
        ImageKernels.normalize(out, plane: outputSize * outputSize, mean: normalization.mean, std: normalization.std)
    }

    /// The augmented sample as an 8-bit image (to look at augmentations); metadata other than the
    /// label and id is dropped because the geometry moved the pixels.
    public func apply(_ sample: Sample, rng: inout SeededGenerator) -> Sample {
        var planes = [Float](repeating: 0, count: outputChannels * outputSize * outputSize)
        planes.withUnsafeMutableBufferPointer { render(sample, into: $0, rng: &rng) }
        let image = planes.withUnsafeBufferPointer { ImageKernels.quantize($0, channels: outputChannels, width: outputSize, height: outputSize) }
        return Sample(image: image, label: sample.label, id: sample.id, meta: SampleMeta(meanRGB: SampleMeta.meanRGB(of: image)))
    }
}

extension Float {
    @inline(__always) static func exponential(_ x: Float) -> Float { Float(_expD(Double(x))) }
    @inline(__always) static func logarithm(_ x: Float) -> Float { Float(_logD(Double(x))) }
}

import Foundation
@inline(__always) private func _expD(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) private func _logD(_ x: Double) -> Double { Foundation.log(x) }
