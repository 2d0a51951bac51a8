// The one checker for libpng's and TurboJPEG's statuses: each failure becomes a LoupeError.format that
// names the image and carries the library's own message.
import CPNG
import CTurboJPEG
import Foundation

extension Image {
    /// Throws libpng's message when a simplified-API call returned 0 (the image is freed then, as libpng asks).
    static func checkPNG(_ status: Int32, _ image: inout png_image, _ name: String) throws {
        guard status == 0 else { return }
        let message = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        png_image_free(&image)
        throw LoupeError.format(path: name, message: "PNG: \(message.isEmpty ? "libpng failed without a message" : message)")
    }

    /// Throws TurboJPEG's message for a non-zero status; with `warningsAllowed`, only fatal errors throw
    /// (a warning such as a premature end of data still leaves a decoded image).
    static func checkJPEG(_ status: Int32, _ handle: tjhandle, _ name: String, warningsAllowed: Bool) throws {
        guard status != 0 else { return }
        if warningsAllowed && tjGetErrorCode(handle) != Int32(TJERR_FATAL.rawValue) { return }
        throw LoupeError.format(path: name, message: "JPEG: " + String(cString: tjGetErrorStr2(handle)))
    }
}
