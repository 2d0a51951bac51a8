import Foundation
import Testing
@testable import Analyzers

/// Compares the numerical core with scikit-learn values stored in Fixtures/sklearn_metrics.json
/// (written by scripts/reference/sklearn_metrics.py), so no Python is needed here.
@Suite("scikit-learn reference values")
struct MathReferenceTests {
    static let fixture: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sklearn_metrics.json")
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func floats(_ any: Any?) -> [Float] {
        let data = Data(base64Encoded: any as! String)!
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
    static func ints(_ any: Any?) -> [Int] { (any as! [NSNumber]).map(\.intValue) }
    static func doubles(_ any: Any?) -> [Double] { (any as! [NSNumber]).map(\.doubleValue) }
    static func number(_ any: Any?) -> Double { (any as! NSNumber).doubleValue }
    static func cases(_ key: String) -> [[String: Any]] { fixture[key] as! [[String: Any]] }

    @Test func labelAgreementScores() {
        for c in Self.cases("labels") {
            let a = Self.ints(c["a"]), b = Self.ints(c["b"]), name = c["name"] as! String
            #expect(abs(ClusterMetrics.purity(labels: a, clusters: b) - Self.number(c["purity"])) < 1e-9, "\(name)")
            #expect(abs(ClusterMetrics.normalizedMutualInformation(a, b) - Self.number(c["nmi"])) < 1e-9, "\(name)")
            #expect(abs(ClusterMetrics.adjustedRandIndex(a, b) - Self.number(c["ari"])) < 1e-9, "\(name)")
        }
    }

    @Test func silhouette() {
        for c in Self.cases("silhouette") {
            let n = c["n"] as! Int, d = c["d"] as! Int
            let value = ClusterMetrics.silhouette(Self.floats(c["x"]), n: n, d: d, labels: Self.ints(c["labels"]), chunk: 37)
            #expect(abs(value - Self.number(c["value"])) < 1e-6, "\(c["name"]!): \(value)")
        }
    }

    @Test func trustworthiness() {
        let c = Self.fixture["trustworthiness"] as! [String: Any]
        let n = c["n"] as! Int, dh = c["dHigh"] as! Int, dl = c["dLow"] as! Int
        let high = Self.floats(c["high"]), low = Self.floats(c["low"])
        for v in c["values"] as! [[String: Any]] {
            let k = v["k"] as! Int
            let value = ClusterMetrics.trustworthiness(high: high, dHigh: dh, low: low, dLow: dl, n: n, k: k)
            #expect(abs(value - Self.number(v["value"])) < 1e-6, "k = \(k): \(value)")
        }
    }

    @Test func knnAccuracy() {
        for c in Self.cases("knn") {
            let n = c["n"] as! Int, d = c["d"] as! Int, k = c["k"] as! Int
            let value = ClusterMetrics.knnAccuracy(Self.floats(c["x"]), n: n, d: d, labels: Self.ints(c["labels"]), k: k)
            #expect(abs(value - Self.number(c["value"])) < 1e-6, "\(c["name"]!): \(value)")
        }
    }

    @Test(arguments: [PCA.Method.exact, .randomized])
    func pca(method: PCA.Method) throws {
        for c in Self.cases("pca") {
            let n = c["n"] as! Int, d = c["d"] as! Int, k = c["k"] as! Int, name = c["name"] as! String
            let r = try PCA.fit(Self.floats(c["x"]), n: n, d: d, components: k, method: method)
            // Exact: float32 block products, float64 accumulation and Rayleigh-quotient variances: ~1e-8 here,
            // well inside the 1e-6 asked for; randomized: the subspace is converged to ~1e-6.
            let tol = method == .exact ? 1e-7 : 1e-5
            for (got, want) in zip(r.explainedVarianceRatio, Self.doubles(c["explained_variance_ratio"])) {
                #expect(abs(got - want) < tol, "\(name) ratio \(got) vs \(want)")
            }
            for (got, want) in zip(r.explainedVariance, Self.doubles(c["explained_variance"])) {
                #expect(abs(got - want) <= tol * want, "\(name) variance")
            }
            for (got, want) in zip(r.singularValues, Self.doubles(c["singular_values"])) {
                #expect(abs(got - want) <= tol * want, "\(name) singular value")
            }
            // svd_flip signs and the vectors themselves.
            let worst = zip(r.components, Self.doubles(c["components"])).map { abs(Double($0) - $1) }.max()!
            #expect(worst < (method == .exact ? 1e-5 : 1e-3), "\(name) components off by \(worst)")
            let scores = Self.doubles(c["scores_first_rows"])
            let scoreErr = zip(r.scores.prefix(scores.count), scores).map { abs(Double($0) - $1) }.max()!
            #expect(scoreErr < (method == .exact ? 1e-4 : 1e-2), "\(name) scores off by \(scoreErr)")
        }
    }

    @Test func linearCKA() {
        let c = Self.fixture["cka"] as! [String: Any]
        let n = c["n"] as! Int, dx = c["dx"] as! Int, dy = c["dy"] as! Int
        let x = Self.floats(c["x"]), y = Self.floats(c["y"]), want = Self.number(c["value"])
        #expect(abs(CKA.linear(x, y, n: n, dx: dx, dy: dy) - want) < 1e-9)
        #expect(abs(CKA.linear(x, y, n: n, dx: dx, dy: dy, sampleGram: true) - want) < 1e-9)
        #expect(abs(CKA.linear(x, y, n: n, dx: dx, dy: dy, sampleGram: false) - want) < 1e-9)
    }
}
