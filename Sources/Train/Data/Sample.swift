import LoupeCore

/// One labelled image with the metadata the probe records next to it.
public struct Sample: Sendable, Equatable {
    /// 8-bit, interleaved (HWC), 1 or 3 channels.
    public var image: Image
    /// Class index into the dataset's `classes`.
    public var label: Int
    /// Stable identifier: "synthetic/target/00017", a path relative to the dataset folder, …
    public var id: String
    public var meta: SampleMeta

    public init(image: Image, label: Int, id: String, meta: SampleMeta) {
        self.image = image
        self.label = label
        self.id = id
        self.meta = meta
    }
}

/// Per-image facts a dataset knows beyond the label; all coordinates refer to the image as stored in
/// the sample (transforms that move pixels update them).
public struct SampleMeta: Sendable, Equatable {
    /// Mean R, G, B in [0, 1] (a gray image repeats its mean intensity three times). Always present.
    public var meanRGB: [Float]
    /// Background colour, RGB in [0, 1] (synthetic data only).
    public var background: [Float]?
    /// Object box `[x0, y0, x1, y1]` in pixel-edge coordinates: pixel (x, y) covers [x, x+1) × [y, y+1),
    /// so a box around pixel columns 3…7 is x0 = 3, x1 = 8.
    public var box: [Float]?
    /// Object mask, height × width, row-major, 1 = object.
    public var mask: [UInt8]?

    public init(meanRGB: [Float], background: [Float]? = nil, box: [Float]? = nil, mask: [UInt8]? = nil) {
        self.meanRGB = meanRGB
        self.background = background
        self.box = box
        self.mask = mask
    }

    /// Mean RGB of `image` in [0, 1]; gray repeats its mean, alpha is ignored.
    /// - Complexity: O(width × height × channels).
    public static func meanRGB(of image: Image) -> [Float] {
        let n = image.width * image.height
        guard n > 0 else { return [0, 0, 0] }
        let c = image.channels
        var sums = [UInt64](repeating: 0, count: 4)
        image.pixels.withUnsafeBufferPointer { p in
            if c == 1 || c == 2 {
                var s: UInt64 = 0
                for i in 0..<n { s &+= UInt64(p[i * c]) }
                sums[0] = s; sums[1] = s; sums[2] = s
            } else {
                var r: UInt64 = 0, g: UInt64 = 0, b: UInt64 = 0
                for i in 0..<n {
                    r &+= UInt64(p[i * c]); g &+= UInt64(p[i * c + 1]); b &+= UInt64(p[i * c + 2])
                }
                sums[0] = r; sums[1] = g; sums[2] = b
            }
        }
        let scale = 1 / (Float(n) * 255)
        return (0..<3).map { Float(sums[$0]) * scale }
    }
}
