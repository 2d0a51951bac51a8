// STUB: replaced by the analyzers-math branch
import LoupeCore

public struct PCA {
    public enum Method { case auto, exact, randomized }

    public struct Result {
        public var mean: [Float]
        public var components: [Float]
        public var explainedVariance: [Double]
        public var explainedVarianceRatio: [Double]
        public var scores: [Float]
        public var singularValues: [Double]
    }

    public static func fit(_ x: [Float], n: Int, d: Int, components k: Int, method: Method = .auto, seed: UInt64 = 0) throws -> Result {
        throw LoupeError.invalidInput("not implemented: PCA.fit is a stub")
    }
}
