import Foundation
import LoupeCore

/// Throughput of the data pipeline (a benchmark, not a test: run it in a release build).
public enum DataBenchmark {
    public struct Figure: Sendable, CustomStringConvertible {
        public var name: String
        public var imagesPerSecond: Double
        public var description: String {
            let perImage = 1000 / imagesPerSecond
            return name.padding(toLength: 52, withPad: " ", startingAt: 0)
                + String(format: "%10.0f img/s  %8.4f ms/img", imagesPerSecond, perImage)
        }
    }

    /// Measures, at `size` pixels: synthetic generation, augmentation (small-image and standard
    /// recipes) and evaluation preprocessing on one thread, then the loader's throughput with
    /// batches of `batchSize` and 1 or 2 workers. Each figure is the best of `repeats` runs.
    public static func run(size: Int = 64, batchSize: Int = 32, images: Int = 2048, repeats: Int = 3) throws -> [Figure] {
        let data = try SyntheticDataset(SyntheticOptions(perClass: max(1, images / 8), size: size))
        let n = min(images, data.count)
        func best(_ name: String, count: Int, _ body: () throws -> Void) rethrows -> Figure {
            var fastest = Double.infinity
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return Figure(name: name, imagesPerSecond: Double(count) / fastest)
        }
        var figures: [Figure] = []
        var sink: Float = 0
        figures.append(try best("synthetic generation \(size)px (1 thread)", count: n) {
            for i in 0..<n { sink += Float(try data.sample(at: i).image.pixels[0]) }
        })
        let samples = try (0..<min(n, 256)).map { try data.sample(at: $0) }
        let transforms: [(String, any SampleTransform)] = [
            ("augment smallImages: pad-6 crop, flip, jitter", Augmenter(outputSize: size, options: .smallImages)),
            ("augment standard: resized crop, flip, jitter, rot", Augmenter(outputSize: size, options: .standard)),
            ("preprocess eval (to float, normalise)", Preprocessor(outputSize: size)),
        ]
        for (name, transform) in transforms {
            var out = [Float](repeating: 0, count: 3 * size * size)
            let rounds = max(1, n / samples.count)
            figures.append(best(name + " (1 thread)", count: rounds * samples.count) {
                out.withUnsafeMutableBufferPointer { buffer in
                    for r in 0..<rounds {
                        for (i, s) in samples.enumerated() {
                            var rng = SeededGenerator(seed: UInt64(r * 1_000_003 + i))
                            transform.write(s, into: buffer, rng: &rng)
                        }
                    }
                }
                sink += out[0]
            })
        }
        // A photo-sized source (Stanford Dogs images are about 500 × 375) to a 224-px network input.
        var rng = SeededGenerator(seed: 1)
        let photo = Sample(image: Image(width: 500, height: 375, channels: 3, pixels: (0..<(500 * 375 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }),
                           label: 0, id: "photo", meta: SampleMeta(meanRGB: [0.5, 0.5, 0.5]))
        for (name, transform) in [("augment standard 500×375 → 224", Augmenter(outputSize: 224, options: .standard) as any SampleTransform),
                                  ("preprocess eval 500×375 → 256 → 224", Preprocessor(outputSize: 224, cropFraction: 0.875))] {
            var out = [Float](repeating: 0, count: 3 * 224 * 224)
            let rounds = max(4, n / 64)
            figures.append(best(name + " (1 thread)", count: rounds) {
                out.withUnsafeMutableBufferPointer { buffer in
                    for r in 0..<rounds {
                        var rng = SeededGenerator(seed: UInt64(r))
                        transform.write(photo, into: buffer, rng: &rng)
                    }
                }
                sink += out[0]
            })
        }
        for workers in [1, 2] {
            let loader = try BatchLoader(dataset: data, indices: Array(0..<n), batchSize: batchSize,
                                         transform: Augmenter(outputSize: size, options: .smallImages), seed: 1,
                                         dropLast: true, workers: workers)
            var epoch = 0
            figures.append(try best("loader: generate + augment, batch \(batchSize), \(workers) worker\(workers == 1 ? "" : "s")",
                                    count: loader.batchesPerEpoch * batchSize) {
                let stream = loader.epoch(epoch)
                epoch += 1
                while let batch = try stream.next() { sink += batch.input.storage[0] }
            })
        }
        if sink.isNaN { print("") }  // keeps the work observable
        return figures
    }
}
