import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite struct ZeroGradTests {
    static let k = 4, n = 24

    /// A deliberately saturated "model": logits z = W·GAP(A) with W = I, one class ahead by 30…150.
    /// Gradients for `target`, computed analytically in Float through that linear layer:
    /// prob: dz_c = p_c·(δ_cy − p_y); logit: dz = e_y; then dA_c = W_cᵀ dz / (H·W) and, for an
    /// earlier layer, dB = Mᵀ dA (a fixed mixing matrix M).
    static func saturatedSpec(target: String) -> DumpSpec {
        let k = Self.k, n = Self.n
        var logits = [Float](repeating: 0, count: n * k)
        var fcActivations = [Float](), fcGradients = [Float](), earlyActivations = [Float](), earlyGradients = [Float]()
        for i in 0..<n {
            let y = i % k
            let margin = Float(30 + 120 * Double(i) / Double(n - 1))
            logits[i * k + y] = margin
            let z = Array(logits[(i * k)..<((i + 1) * k)])
            // Softmax in Float, as a float32 framework computes it.
            let m = z.max()!
            let e = z.map { Foundation.expf($0 - m) }
            let s = e.reduce(0, +)
            let p = e.map { $0 / s }
            let dz: [Float] = (0..<k).map { c in target == "prob" ? p[c] * ((c == y ? 1 : 0) - p[y]) : (c == y ? 1 : 0) }
            for c in 0..<k {
                for _ in 0..<4 { fcActivations.append(z[c]); fcGradients.append(dz[c] / 4) }
            }
            // Earlier layer: 3 channels, 2×2, B = relu-ish positive; gradient mixes the fc gradient.
            for c in 0..<3 {
                for q in 0..<4 {
                    earlyActivations.append(Float(1 + c + q))
                    earlyGradients.append((0..<k).map { Float(($0 + c) % 3 + 1) * dz[$0] / 4 }.reduce(0, +))
                }
            }
        }
        var spec = DumpSpec(n: n, classes: k, layers: [("features", 3, 2, 2), ("fc_in", k, 2, 2)], target: target)
        spec.logits = logits
        spec.activations = ["fc_in": fcActivations, "features": earlyActivations]
        spec.gradients = ["fc_in": fcGradients, "features": earlyGradients]
        return spec
    }

    func analyze(_ specs: [DumpSpec], options: [String: String] = [:], name: String = #function) throws -> (AnalyzerRunner.Record, String) {
        let folder = TestDumps.temporaryFolder(name)
        var files: [String] = []
        for (i, spec) in specs.enumerated() { files.append(try TestDumps.write(spec, to: folder + "/dump-\(i).h5")) }
        return (try AnalyzerRunner(quiet: true).run(ZeroGradAnalyzer(), files: files, options: options, out: folder + "/out"), folder)
    }

    func diagnoses(_ record: AnalyzerRunner.Record) -> [String] {
        guard case .array(let items) = record.output.summary["diagnoses"] ?? .null else { return [] }
        return items.compactMap { $0["id"]?.stringValue }
    }

    @Test func float32ThresholdsMatchTheMeasuredOnes() {
        // Measured in PyTorch (CPU float32, 8 classes): p rounds to 1 from a margin of ~17–20, the gradient is
        // exactly zero only from ~104.
        let t = SoftmaxFloat32.thresholds(classes: 8)
        #expect(t.roundsToOne > 15 && t.roundsToOne < 20)
        #expect(t.exactZero > 100 && t.exactZero < 106)
        #expect(SoftmaxFloat32.regime([100, 0, 0][...], y: 0, target: .prob) == .rounded)
        #expect(SoftmaxFloat32.regime([110, 0, 0][...], y: 0, target: .prob) == .exactZero)
        #expect(SoftmaxFloat32.regime([3, 0, 0][...], y: 0, target: .prob) == .normal)
        #expect(SoftmaxFloat32.regime([110, 0, 0][...], y: 0, target: .logit) == .noSoftmax)
        #expect(SoftmaxFloat32.regime([-120, 0, 0][...], y: 0, target: .loss) == .normal)  // loss gradient p − e_y is −1: large
    }

    @Test func saturatedProbTargetIsDiagnosedAsSoftmaxSaturation() throws {
        let (record, folder) = try analyze([Self.saturatedSpec(target: "prob")])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ids = diagnoses(record)
        #expect(ids.first == "softmax-saturation", "got \(ids)")
        #expect(record.output.summary["healthy"] == .bool(false))
        // Every sample is saturated: those above the exact-zero threshold are all zero, the rest vanishing.
        let result = try HDF5File.open(folder + "/out/result.h5")
        let regime = try result.dataset("/epoch-0000/regime").readStrings()
        let allZero = try result.dataset("/epoch-0000/fc_in/all_zero").read(as: Int64.self)
        let vanishing = try result.dataset("/epoch-0000/fc_in/vanishing").read(as: Int64.self)
        let margin = try result.dataset("/epoch-0000/margin").read(as: Double.self)
        for i in 0..<Self.n {
            #expect(regime[i] == (margin[i] >= 104 ? "exact-zero" : "rounded") || abs(margin[i] - 104) < 2, "sample \(i) margin \(margin[i]) regime \(regime[i])")
            #expect(allZero[i] + vanishing[i] == 1, "sample \(i) should be zero or vanishing")
            if regime[i] == "exact-zero" { #expect(allZero[i] == 1) }
        }
        let score = record.output.summary["diagnoses"].flatMap { if case .array(let a) = $0 { return a.first?["score"]?.doubleValue }; return nil } ?? 0
        #expect(score > 0.9)
        for name in ["zero_grad_heatmap.png", "zero_grad_margin.png", "zero_grad_layers.csv", "zero_grad_samples.csv", "report.html", "report.ipynb"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/out/" + name), "\(name)")
        }
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FIGURE_DIR"] {
            for name in ["zero_grad_heatmap.png", "zero_grad_margin.png", "report.html"] {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
                try FileManager.default.copyItem(atPath: folder + "/out/" + name, toPath: dir + "/" + name)
            }
        }
    }

    @Test func sameSamplesWithLogitTargetAreHealthy() throws {
        let (record, folder) = try analyze([Self.saturatedSpec(target: "logit")])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "healthy", "got \(diagnoses(record))")
        #expect(record.output.summary["healthy"] == .bool(true))
    }

    @Test func bothTargetsSideBySide() throws {
        var logit = Self.saturatedSpec(target: "logit")
        logit.epoch = 0
        var prob = Self.saturatedSpec(target: "prob")
        prob.epoch = 0
        let (record, folder) = try analyze([logit, prob])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "softmax-saturation")
        let result = try HDF5File.open(folder + "/out/result.h5")
        let fraction = try result.dataset("/zero_or_vanishing_fraction").read(as: Double.self)
        // Columns sorted by target: logit (healthy) then prob (all affected), for both layers.
        #expect(fraction == [0, 1, 0, 1])
    }

    @Test func aLayerTheTargetDoesNotReachAndNoGradientAtAll() throws {
        var spec = DumpSpec(target: "logit")
        let count = spec.n * 4 * 4 * 4
        spec.gradients = ["layer3": [Float](repeating: 0, count: count)]
        let (record, folder) = try analyze([spec])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "unreached-layer", "got \(diagnoses(record))")

        var blank = DumpSpec(target: "logit")
        blank.gradients = ["layer3": [Float](repeating: 0, count: count), "layer4.1": [Float](repeating: 0, count: spec.n * 6 * 2 * 2)]
        let (record2, folder2) = try analyze([blank], name: "blank")
        defer { try? FileManager.default.removeItem(atPath: folder2) }
        #expect(diagnoses(record2).first == "no-gradient", "got \(diagnoses(record2))")
    }

    @Test func float16StorageOfTinyGradientsIsFlagged() throws {
        var spec = DumpSpec(target: "logit", gradientDType: .float16)
        var rng = SeededGenerator(seed: 9)
        // Gradients around 1e-6: mostly float16 subnormals; every third sample below 6e-8 → stored as 0.
        let per = 4 * 4 * 4
        spec.gradients = ["layer3": (0..<(spec.n * per)).map { j in (j / per) % 3 == 0 ? 1e-9 : Float(1e-6) * (1 + rng.nextFloat()) }]
        let (record, folder) = try analyze([spec], options: ["layers": "layer3"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "float16-flush", "got \(diagnoses(record))")
    }

    @Test("float16 precision loss without any zeroed sample is a note under Healthy, not the diagnosis")
    func float16PrecisionLossAloneIsHealthy() throws {
        var spec = DumpSpec(target: "logit", gradientDType: .float16)
        var rng = SeededGenerator(seed: 3)
        // Every sample has normal-sized entries, but a fifth of all entries are float16 subnormals (1e-6).
        let per = 4 * 4 * 4
        spec.gradients = ["layer3": (0..<(spec.n * per)).map { j in j % 5 == 0 ? Float(1e-6) : 0.01 * (1 + rng.nextFloat()) }]
        let (record, folder) = try analyze([spec], options: ["layers": "layer3"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "healthy", "got \(diagnoses(record))")
        #expect(diagnoses(record).contains("float16-flush"))
    }

    @Test("saturated prob gradients stored as float16 (the demo's situation) are softmax saturation, not float16")
    func saturationStoredAsFloat16() throws {
        var spec = Self.saturatedSpec(target: "prob")
        spec.gradientDType = .float16
        let (record, folder) = try analyze([spec])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ids = diagnoses(record)
        #expect(ids.first == "softmax-saturation", "got \(ids)")
        #expect(!ids.contains("float16-flush") || record.output.summary["diagnoses"].map { d -> Bool in
            if case .array(let a) = d { return a.contains { $0["id"]?.stringValue == "float16-flush" && $0["kind"]?.stringValue == "note" } }
            return false
        } == true, "float16 only finished what saturation started: \(ids)")
    }

    @Test func scoreKindIsReadFromTheValues() {
        var rng = SeededGenerator(seed: 4)
        let k = 5, n = 40
        let logits = (0..<(n * k)).map { _ in 3 * rng.nextGaussian() }
        #expect(ScoreKind.detect(logits, classes: k) == .logits)
        var probs: [Float] = [], logProbs: [Float] = []
        for i in 0..<n {
            let p = SoftmaxFloat32.probabilities(logits[(i * k)..<((i + 1) * k)])
            probs += p
            logProbs += p.map { $0 > 0 ? Foundation.log($0) : -.infinity }
        }
        #expect(ScoreKind.detect(probs, classes: k) == .probabilities)
        // float16 storage of the probabilities still sums to 1 within the tolerance.
        #expect(ScoreKind.detect(probs.map { Float(Float16($0)) }, classes: k) == .probabilities)
        #expect(ScoreKind.detect(logProbs, classes: k) == .logProbabilities)
        // Every value in [0, 1] but rows not summing to 1: a multi-label sigmoid head.
        #expect(ScoreKind.detect(logits.map { SigmoidFloat32.probability(4 * $0) }, classes: k) == .sigmoidProbabilities)
        // Small logits of an unconfident model lie in [0, 1] too, but not at its ends: still logits.
        #expect(ScoreKind.detect(logits.map { 0.5 + 0.1 * $0.clamped(-4, 4) }, classes: k) == .logits)
        #expect(ScoreKind.detect(Array(logits.map { 0.5 + 0.1 * $0.clamped(-4, 4) }.prefix(n)), classes: 1) == .binaryLogit)
        #expect(ScoreKind.detect(probs.enumerated().map { $0.offset % k == 0 ? $0.element - 1.5 : $0.element }, classes: k) == .logits)
        let one = (0..<n).map { _ in 4 * rng.nextGaussian() }
        #expect(ScoreKind.detect(one, classes: 1) == .binaryLogit)
        #expect(ScoreKind.detect(one.map { SigmoidFloat32.probability(4 * $0) }, classes: 1) == .sigmoidProbabilities)
    }

    @Test("sigmoid thresholds as PyTorch computes them (measured: σ rounds to 1 from z = 16.636; σ(−90) = 0)")
    func sigmoidThresholds() {
        #expect(abs(SigmoidFloat32.roundsToOne() - 16.64) < 0.05)
        #expect(SigmoidFloat32.regime(20, y: 1, target: .prob) == .exactZero)
        #expect(SigmoidFloat32.regime(-90, y: 0, target: .prob) == .exactZero)
        #expect(SigmoidFloat32.regime(-40, y: 0, target: .prob) == .rounded)
        #expect(SigmoidFloat32.regime(9, y: 1, target: .prob) == .shrunk)
        #expect(SigmoidFloat32.regime(1, y: 1, target: .prob) == .normal)
        #expect(SigmoidFloat32.regime(-30, y: 1, target: .loss) == .normal)   // a confidently wrong positive: ∂L/∂z = −1
        #expect(SigmoidFloat32.regime(30, y: 1, target: .loss) == .exactZero)
        #expect(SigmoidFloat32.regime(30, y: 1, target: .logit) == .noSoftmax)
    }

    @Test("a one-output model is never replayed as a softmax over one column")
    func oneOutputHealthyLogits() throws {
        var spec = DumpSpec(classes: 1, target: "prob")
        var rng = SeededGenerator(seed: 8)
        spec.logits = (0..<spec.n).map { _ in 2 * rng.nextGaussian() }   // |z| small: sigmoid far from saturation
        let (record, folder) = try analyze([spec])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(diagnoses(record).first == "healthy", "got \(diagnoses(record))")
        let result = try HDF5File.open(folder + "/out/result.h5")
        let regime = try result.dataset("/epoch-0000/regime").readStrings()
        #expect(!regime.contains("exact-zero"))
    }

    @Test("without a recorded order, children run before their parent returns")
    func networkOrderFromNames() {
        #expect(ZeroGradAnalyzer.networkOrder(["layer4.1", "layer4.1.conv2", "layer3", "features.10", "features.9", "layer4.0.bn1", "layer4"])
                == ["features.9", "features.10", "layer3", "layer4.0.bn1", "layer4.1.conv2", "layer4.1", "layer4"])
    }
}

private extension Float {
    func clamped(_ lo: Float, _ hi: Float) -> Float { Swift.min(Swift.max(self, lo), hi) }
}
