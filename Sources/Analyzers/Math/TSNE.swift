// STUB: replaced by the analyzers-math branch
import LoupeCore

public struct TSNE {
    public struct Options {
        public var perplexity: Double = 30
        public var theta: Double = 0.5
        public var iterations: Int = 1000
        public var earlyExaggeration: Double = 12
        public var exaggerationIterations: Int = 250
        public var learningRate: Double? = nil
        public var initialization: Initialization = .pca
        public var seed: UInt64 = 0
        public var threads: Int = 2
        public init() {}
    }

    public enum Initialization { case pca, random }

    public struct Result {
        public var embedding: [Float]
        public var kl: Double
        public var klHistory: [(iteration: Int, kl: Double)]
        public var seed: UInt64
    }

    public static func fit(_ x: [Float], n: Int, d: Int, options: Options, progress: ProgressBar? = nil) throws -> Result {
        throw LoupeError.invalidInput("not implemented: TSNE.fit is a stub")
    }
}
