import Foundation
import LoupeCore
import Testing
@testable import Train

/// Developer tasks, run only when asked through the environment (they write files or take time):
///   LOUPE_CONTACT_SHEET=PATH  swift test --filter DataDevTools   writes the target-class contact sheet
///   LOUPE_AUGMENT_SHEET=PATH                                     rows: original, then 11 augmentations
///   LOUPE_DATA_BENCH=1 swift test -c release --scratch-path .build-rel --filter DataDevTools
@Suite struct DataDevTools {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_CONTACT_SHEET"] != nil))
    func writeContactSheet() throws {
        let path = ProcessInfo.processInfo.environment["LOUPE_CONTACT_SHEET"]!
        let split = SyntheticSplit(rawValue: ProcessInfo.processInfo.environment["LOUPE_SPLIT"] ?? "target") ?? .target
        let data = try SyntheticDataset(SyntheticOptions(perClass: 12, split: split))
        let sheet = try data.contactSheet(columns: 12)
        try sheet.writePNG(path)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_AUGMENT_SHEET"] != nil))
    func writeAugmentSheet() throws {
        let path = ProcessInfo.processInfo.environment["LOUPE_AUGMENT_SHEET"]!
        let data = try SyntheticDataset(SyntheticOptions(perClass: 2))
        let standard = Augmenter(outputSize: 64, options: .standard), small = Augmenter(outputSize: 64, options: .smallImages)
        let side = 64, cols = 12, rows = 8
        var sheet = Image(width: cols * (side + 2), height: rows * (side + 2), channels: 3, fill: 255)
        for row in 0..<rows {
            let sample = try data.sample(at: row)
            for col in 0..<cols {
                var rng = SeededGenerator(seed: UInt64(row * 100 + col))
                let tile = col == 0 ? sample.image : (row % 2 == 0 ? standard : small).apply(sample, rng: &rng).image
                for y in 0..<side {
                    let dst = ((row * (side + 2) + y) * sheet.width + col * (side + 2)) * 3
                    sheet.pixels.replaceSubrange(dst..<(dst + side * 3), with: tile.pixels[(y * side * 3)..<((y + 1) * side * 3)])
                }
            }
        }
        try sheet.writePNG(path)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_DATA_BENCH"] != nil))
    func benchmark() throws {
        for size in [64] {
            for figure in try DataBenchmark.run(size: size, images: size == 64 ? 4096 : 1024) { print(figure) }
        }
        for split in [SyntheticSplit.target, .source] {
            let data = try SyntheticDataset(SyntheticOptions(perClass: 100, split: split))
            var fraction: Double = 0
            for i in 0..<data.count { fraction += Double(try data.sample(at: i).meta.mask!.reduce(0) { $0 + Int($1) }) / 4096 }
            print("synthetic \(split.rawValue) 64px: mean object (mask) fraction \(String(format: "%.3f", fraction / Double(data.count)))")
        }
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FASHION_MNIST"] {
            let start = Date()
            let data = try FashionMNIST(directory: dir)
            print("fashion-mnist train part: \(data.count) images loaded in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        }
    }

    /// A quick run that proves the benchmark code works (tiny sizes, any build).
    @Test func benchmarkRuns() throws {
        let figures = try DataBenchmark.run(size: 16, batchSize: 4, images: 16, repeats: 1)
        #expect(figures.count == 8 && figures.allSatisfy { $0.imagesPerSecond > 0 })
    }
}
