// STUB: replaced by the analyzers-math branch
import LoupeCore

public struct KMeans {
    public struct Result {
        public var labels: [Int]
        public var centroids: [Float]
        public var inertia: Double
        public var iterations: Int
    }

    public static func fit(_ x: [Float], n: Int, d: Int, k: Int, restarts: Int = 10, maxIterations: Int = 300, seed: UInt64 = 0,
                           progress: ProgressBar? = nil) throws -> Result {
        throw LoupeError.invalidInput("not implemented: KMeans.fit is a stub")
    }
}
