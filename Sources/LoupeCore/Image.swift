/// An 8-bit image with interleaved channels (1 = gray, 3 = RGB, 4 = RGBA), row-major, top row first.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel count does not match \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    /// The same image with 3 channels: gray is repeated, alpha is composited onto white.
    public func rgb() -> Image {
        if channels == 3 { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            switch channels {
            case 1:
                out[3 * i] = pixels[i]; out[3 * i + 1] = pixels[i]; out[3 * i + 2] = pixels[i]
            case 2:
                let a = Int(pixels[2 * i + 1]), g = Int(pixels[2 * i])
                let v = UInt8((g * a + 255 * (255 - a)) / 255)
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            default:
                let a = Int(pixels[4 * i + 3])
                for c in 0..<3 { out[3 * i + c] = UInt8((Int(pixels[4 * i + c]) * a + 255 * (255 - a)) / 255) }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }
}
