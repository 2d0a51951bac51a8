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

    @Test("JPEG decodes to the pixels Pillow produced for the same file")
    func jpegDecode() throws {
        // 4×2 RGB JPEG (quality 95, 4:4:4) made by Pillow; Pillow's decode of it is `expected`.
        let jpeg = Data(base64Encoded: ImageFixtures.jpegBase64)!
        let image = try Image.decode(jpeg)
        #expect(image.width == 4 && image.height == 2 && image.channels == 3)
        #expect(image.pixels == ImageFixtures.jpegPixels)
    }

    @Test func garbageIsAnError() {
        #expect(throws: LoupeError.self) { try Image.decode(Data("hello".utf8)) }
        #expect(throws: LoupeError.self) { try Image.decode(Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 1, 2])) }
        #expect(throws: LoupeError.self) { try Image.decode(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0])) }
    }
}
