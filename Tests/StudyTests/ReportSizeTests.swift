import Analyzers
import Foundation
import LoupeCore
import Testing

@Suite("report.html stays small: large figures as JPEG, probe thumbnails once")
struct ReportSizeTests {
    /// A noisy RGB image (PNG compresses it badly, like CAM grids and thumbnail maps).
    func noisy(_ width: Int, _ height: Int, seed: UInt64) -> Image {
        var g = SeededGenerator(seed: seed)
        return Image(width: width, height: height, channels: 3, pixels: (0..<(width * height * 3)).map { i in UInt8((i / 3 % width) & 0xff) &+ UInt8(g.next() >> 59) })
    }

    @Test("a large PNG is embedded as a smaller JPEG of the same picture; a small one stays PNG")
    func figures() throws {
        let image = noisy(400, 300, seed: 1)
        let png = try image.pngData()
        #expect(png.count > HTMLReport.jpegAbove)
        let embedded = HTMLReport.embedded(png)
        #expect(embedded.mime == "image/jpeg" && embedded.data.count < png.count / 2, "\(embedded.data.count) vs \(png.count)")
        let back = try Image.decode(embedded.data)
        #expect(back.width == 400 && back.height == 300 && back.channels == 3)
        let error = zip(back.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / back.pixels.count
        #expect(error < 12, "mean abs error \(error)")
        let small = try Image(width: 20, height: 20, channels: 3, fill: 200).pngData()
        #expect(HTMLReport.embedded(small).mime == "image/png" && HTMLReport.embedded(small).data == small)
    }

    @Test("two maps of the same probe images store each thumbnail once, as JPEG, and the page still opens offline")
    func thumbnails() throws {
        let thumbs = try (0..<5).map { try noisy(64, 64, seed: UInt64($0)).pngData() }
        func map(_ title: String) -> InteractiveMap {
            InteractiveMap(title: title, x: [0, 1, 2, 3, 4], y: [4, 3, 2, 1, 0], category: [0, 1, 0, 1, 0], categoryNames: ["a", "b"],
                           labels: ["p0", "p1", "p2", "p3", "p4"], thumbnails: thumbs)
        }
        let report = Report(title: "t", subtitle: "s", facts: [], notes: [], blocks: [.interactive(map("PCA")), .interactive(map("t-SNE"))], results: [])
        let html = HTMLReport.render(report)
        #expect(!html.contains("src=\"http"))
        #expect(html.components(separatedBy: "data:image/jpeg;base64,").count - 1 == 5)
        #expect(!html.contains(thumbs[0].base64EncodedString()))
        let single = HTMLReport.render(Report(title: "t", subtitle: "s", facts: [], notes: [], blocks: [.interactive(map("PCA"))], results: []))
        // The second map adds its coordinates, not its images.
        #expect(html.utf8.count - single.utf8.count < 2000, "\(html.utf8.count) vs \(single.utf8.count)")
        #expect(html.contains("\"thumbs\":[0,1,2,3,4]"))
    }
}
