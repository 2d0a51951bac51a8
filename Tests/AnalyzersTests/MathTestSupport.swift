import Foundation
import LoupeCore

/// Small synthetic inputs for the numerical-core tests.
enum MathSample {
    /// `clusters` Gaussian blobs of `perCluster` points in `d` dimensions, centres `separation` apart on
    /// random axes; rows grouped by cluster. Returns (x n×d, labels).
    static func blobs(clusters: Int, perCluster: Int, d: Int, separation: Float, seed: UInt64) -> ([Float], [Int]) {
        var g = SeededGenerator(seed: seed)
        let centres = (0..<(clusters * d)).map { _ in separation * g.nextGaussian() }
        var x: [Float] = [], labels: [Int] = []
        for c in 0..<clusters {
            for _ in 0..<perCluster {
                for j in 0..<d { x.append(centres[c * d + j] + g.nextGaussian()) }
                labels.append(c)
            }
        }
        return (x, labels)
    }

    static func gaussian(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * g.nextGaussian() }
    }
}
