import Foundation
import LoupeCore
import Testing
@testable import Study

@Suite("percentile bootstrap")
struct BootstrapTests {
    @Test("constant per-sample values give a zero-width interval at the constant")
    func constant() throws {
        let i = try #require(Bootstrap(seed: 3, resamples: 500).interval([Double](repeating: 0.25, count: 40)))
        #expect(i.estimate == 0.25 && i.lower == 0.25 && i.upper == 0.25 && i.samples == 40)
    }

    @Test("the interval is seeded: the same seed repeats it, another seed moves it")
    func seeded() throws {
        var g = SeededGenerator(seed: 11)
        let values = (0..<60).map { _ in g.nextDouble() }
        let a = try #require(Bootstrap(seed: 5, resamples: 300).interval(values))
        let b = try #require(Bootstrap(seed: 5, resamples: 300).interval(values))
        let c = try #require(Bootstrap(seed: 6, resamples: 300).interval(values))
        #expect(a == b)
        #expect(a.lower != c.lower || a.upper != c.upper)
        #expect(a.estimate == c.estimate)
    }

    @Test("indices are uniform over 0..<n and every row has n of them")
    func indices() {
        let rows = Bootstrap(seed: 1, resamples: 400).indices(n: 7)
        #expect(rows.count == 400 && rows.allSatisfy { $0.count == 7 })
        var counts = [Int](repeating: 0, count: 7)
        for row in rows { for i in row { counts[i] += 1 } }
        // 2800 draws, 400 expected per value; 5 standard deviations is about ±93.
        #expect(counts.allSatisfy { abs($0 - 400) < 95 }, "\(counts)")
    }

    @Test("no values or a non-finite value give no interval")
    func undefined() {
        #expect(Bootstrap(seed: 0).interval([]) == nil)
        #expect(Bootstrap(seed: 0).interval([1, .nan]) == nil)
    }

    @Test("quantiles interpolate linearly between order statistics, as numpy's default")
    func quantile() {
        let sorted: [Double] = [1, 2, 4, 8]
        #expect(Bootstrap.quantile(sorted: sorted, 0) == 1)
        #expect(Bootstrap.quantile(sorted: sorted, 1) == 8)
        #expect(abs(Bootstrap.quantile(sorted: sorted, 0.5) - 3) < 1e-12)       // h = 1.5
        #expect(abs(Bootstrap.quantile(sorted: sorted, 0.025) - 1.075) < 1e-12)  // h = 0.075
    }

    @Test("matches numpy's percentile of the resample means, given the same resample indices")
    func numpyReference() throws {
        var g = SeededGenerator(seed: 21)
        let values = (0..<37).map { _ in g.nextDouble() < 0.3 ? 1.0 : 0.0 - Double(g.nextFloat()) }
        let boot = Bootstrap(seed: 9, resamples: 250)
        let mine = try #require(boot.interval(values))
        let folder = makeTemporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/case.json"
        let json = try JSONSerialization.data(withJSONObject: ["values": values, "indices": boot.indices(n: values.count)])
        try json.write(to: URL(fileURLWithPath: input))
        let script = """
        import json, sys
        import numpy as np
        case = json.load(open(sys.argv[1]))
        v = np.array(case["values"]); idx = np.array(case["indices"])
        means = v[idx].mean(axis=1)
        lo, hi = np.percentile(means, [2.5, 97.5])
        print(repr(float(v.mean())), repr(float(lo)), repr(float(hi)))
        """
        let result = try runProcess("/usr/bin/python3", ["-c", script, input])
        #expect(result.status == 0, "\(result.err)")
        let numbers = result.out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(numbers.count == 3, "\(result.out)")
        #expect(abs(numbers[0] - mine.estimate) < 1e-12)
        #expect(abs(numbers[1] - mine.lower) < 1e-12, "numpy \(numbers[1]) vs \(mine.lower)")
        #expect(abs(numbers[2] - mine.upper) < 1e-12, "numpy \(numbers[2]) vs \(mine.upper)")
    }

    @Test("agrees with the normal approximation mean ± 1.96·s/√n for a large sample")
    func normalApproximation() throws {
        var g = SeededGenerator(seed: 4)
        let values = (0..<400).map { _ in Double(g.nextGaussian()) * 2 + 1 }
        let i = try #require(Bootstrap(seed: 8, resamples: 4000).interval(values))
        let n = Double(values.count), mean = values.reduce(0, +) / n
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        let half = 1.959964 * sd / n.squareRoot()
        // The bootstrap's half-widths scatter by a few per cent around the normal one at B = 4000.
        #expect(abs((i.upper - i.lower) / 2 - half) < 0.08 * half, "bootstrap \(i.lower)…\(i.upper), normal ±\(half)")
        #expect(abs((i.upper + i.lower) / 2 - mean) < 0.1 * half)
    }
}
