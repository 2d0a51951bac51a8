// The one door to libpng (simplified png_image API: errors come back as values, no longjmp) and to
// TurboJPEG (2.x API).
import CPNG
import CTurboJPEG
import Foundation

extension Image {
    /// Decodes a PNG or JPEG file, chosen by its signature bytes, not its name.
    public static func read(_ path: String) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoupeError.io(path: path, message: "cannot read file")
        }
        return try decode(data, name: path)
    }

    /// Decodes PNG or JPEG bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "image") throws -> Image {
        let bytes = [UInt8](data.prefix(8))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(data, name: name) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(data, name: name) }
        throw LoupeError.format(path: name, message: "not a PNG or JPEG image")
    }

    static func decodePNG(_ data: Data, name: String) throws -> Image {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        try checkPNG(data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }, &image, name)
        defer { png_image_free(&image) }
        let hasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let isColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let channels = (isColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        image.format = Image.pngFormat(channels: channels)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: try InputLimits.imageBytes(width: width, height: height, channels: channels, path: name))
        try checkPNG(pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * channels), nil) },
                     &image, name)
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    static func decodeJPEG(_ data: Data, name: String) throws -> Image {
        guard let handle = tjInitDecompress() else { throw LoupeError.format(path: name, message: "JPEG: " + String(cString: tjGetErrorStr2(nil))) }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = data.withUnsafeBytes {
            tjDecompressHeader3(handle, $0.bindMemory(to: UInt8.self).baseAddress, UInt(data.count), &width, &height, &subsampling, &colorspace)
        }
        try checkJPEG(header, handle, name, warningsAllowed: false)
        guard width > 0, height > 0 else { throw LoupeError.format(path: name, message: "JPEG: header declares \(width)×\(height) pixels") }
        let gray = colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: try InputLimits.imageBytes(width: Int(width), height: Int(height), channels: channels, path: name))
        let status = data.withUnsafeBytes { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.bindMemory(to: UInt8.self).baseAddress, UInt(data.count), dst.baseAddress, width, 0, height,
                              Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), 0)
            }
        }
        // A warning (e.g. premature end of data) still decodes most of the image; treat only errors as fatal.
        try checkJPEG(status, handle, name, warningsAllowed: true)
        return Image(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
    }

    /// Encodes as PNG (8-bit gray, gray+alpha, RGB or RGBA).
    public func pngData() throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = Image.pngFormat(channels: channels)
        var size: Int = 0
        let stride = Int32(width * channels)
        try Image.checkPNG(pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }, &image, "png")
        var out = Data(count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        try Image.checkPNG(ok, &image, "png")
        png_image_free(&image)
        return out.prefix(size)
    }

    /// Encodes as baseline JPEG at `quality` (1–100), 4:4:4 so thin coloured lines keep their colour; gray
    /// stays gray and alpha is composited onto white (JPEG has none).
    public func jpegData(quality: Int = 88) throws -> Data {
        let source = channels == 1 ? self : rgb()
        guard let handle = tjInitCompress() else { throw LoupeError.format(path: "jpeg", message: "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let gray = source.channels == 1
        let status = source.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(width), 0, Int32(height), Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), &buffer, &size,
                        Int32(gray ? TJSAMP_GRAY.rawValue : TJSAMP_444.rawValue), Int32(min(max(quality, 1), 100)), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else { throw LoupeError.format(path: "jpeg", message: "JPEG: " + String(cString: tjGetErrorStr2(handle))) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Writes a PNG crash-safe.
    public func writePNG(_ path: String) throws {
        try AtomicFile.write(try pngData(), to: path)
    }

    /// libpng's format word: bit 0 alpha, bit 1 colour (the combined macros do not import into Swift).
    static func pngFormat(channels: Int) -> UInt32 {
        switch channels {
        case 1: 0
        case 2: UInt32(PNG_FORMAT_FLAG_ALPHA)
        case 3: UInt32(PNG_FORMAT_FLAG_COLOR)
        default: UInt32(PNG_FORMAT_FLAG_COLOR) | UInt32(PNG_FORMAT_FLAG_ALPHA)
        }
    }
}
