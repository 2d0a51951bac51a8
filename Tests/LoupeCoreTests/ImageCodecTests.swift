import Foundation
import LoupeCore
import Testing

@Suite("PNG and JPEG codecs")
struct ImageCodecTests {
    @Test("PNG round trip for gray, gray+alpha, RGB and RGBA", arguments: [1, 2, 3, 4])
    func pngRoundTrip(channels: Int) throws {
        var rng = SeededGenerator(seed: UInt64(channels))
        let image = Image(width: 7, height: 5, channels: channels, pixels: (0..<(35 * channels)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let decoded = try Image.decode(try image.pngData())
        #expect(decoded == image)
    }

    @Test("JPEG decodes to the pixels Pillow produced for the same file, within the ±1 decoders may differ by")
    func jpegDecode() throws {
        // 4×2 RGB JPEG (quality 95, 4:4:4) made by Pillow on another machine; Pillow's decode of it is
        // `jpegPixels`. libjpeg-turbo's integer IDCT gives the same bits on every CPU, but the JPEG
        // standard lets a conforming decoder's IDCT differ by one level, so a Pillow linked to another
        // libjpeg may; ±1 is that allowance, and a wrong colour conversion or channel order is far off it.
        let jpeg = Data(base64Encoded: ImageFixtures.jpegBase64)!
        let image = try Image.decode(jpeg)
        #expect(image.width == 4 && image.height == 2 && image.channels == 3)
        #expect(image.pixels.count == ImageFixtures.jpegPixels.count)
        let worst = zip(image.pixels, ImageFixtures.jpegPixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "pixels off by up to \(worst): \(image.pixels) vs \(ImageFixtures.jpegPixels)")
    }

    @Test func garbageIsAnError() {
        #expect(throws: LoupeError.self) { try Image.decode(Data("hello".utf8)) }
        #expect(throws: LoupeError.self) { try Image.decode(Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 1, 2])) }
        #expect(throws: LoupeError.self) { try Image.decode(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0])) }
    }
}
