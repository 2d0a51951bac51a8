// STUB: replaced by the analyzers-math branch
import LoupeCore

public enum ClusterMetrics {
    public static func purity(labels: [Int], clusters: [Int]) -> Double { 0 }
    public static func normalizedMutualInformation(_ a: [Int], _ b: [Int]) -> Double { 0 }
    public static func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double { 0 }
    public static func knnAccuracy(_ x: [Float], n: Int, d: Int, labels: [Int], k: Int = 10) -> Double { 0 }
    public static func silhouette(_ x: [Float], n: Int, d: Int, labels: [Int], chunk: Int = 512) -> Double { 0 }
    public static func trustworthiness(high: [Float], dHigh: Int, low: [Float], dLow: Int, n: Int, k: Int = 5) -> Double { 0 }
    public static func binByKMeans(_ values: [Float], n: Int, d: Int, k: Int, seed: UInt64) -> [Int] { [Int](repeating: 0, count: n) }
}
