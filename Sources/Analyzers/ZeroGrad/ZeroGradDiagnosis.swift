import Foundation
import LoupeCore

/// One candidate explanation of zero or vanishing gradients, with its evidence and the fix.
public struct ZeroGradDiagnosis: Sendable {
    public var id: String
    public var title: String
    /// 0…1: how much of what was observed it explains.
    public var score: Double
    public var evidence: [String]
    public var fix: String

    var json: JSONValue {
        .object([("id", .string(id)), ("title", .string(title)), ("score", .double(score)), ("evidence", .strings(evidence)), ("fix", .string(fix))])
    }
}

/// Everything measured, per (file, layer), that the diagnosis reasons over.
struct ZeroGradObservations {
    struct Cell {
        var dump: Int
        var layer: String
        var stats: GradientStats
        var storedAs: HDF5ElementType
        /// Non-zero but negligible, per sample.
        var vanishing: [Bool]
        /// All-zero for every sample while another layer of the same file is not.
        var unreached: Bool
    }

    var dumps: [DumpFile]
    var layers: [String]
    var cells: [Cell]
    /// Per file: softmax regime, margin and float32 p_y per sample, when /logits is there.
    var regimes: [[SoftmaxRegime]?]
    var margins: [[Double]?]
    /// Layers with activations but no gradients, per file.
    var missingGradients: [[String]]

    func cells(of dump: Int) -> [Cell] { cells.filter { $0.dump == dump } }

    /// Samples of file `d` whose gradient is all zero or vanishing at some reached layer.
    func affected(_ d: Int) -> [Bool] {
        let n = dumps[d].sampleCount ?? 0
        var out = [Bool](repeating: false, count: n)
        for cell in cells(of: d) where !cell.unreached {
            for i in 0..<min(n, cell.stats.samples) where cell.stats.allZero[i] || cell.vanishing[i] { out[i] = true }
        }
        return out
    }
}

enum ZeroGradDiagnoser {
    /// Ranks the explanations that apply, best first; "healthy" when nothing is wrong.
    static func diagnose(_ o: ZeroGradObservations) -> [ZeroGradDiagnosis] {
        var out: [ZeroGradDiagnosis] = []
        let files = o.dumps.indices
        let affected = files.map { o.affected($0) }
        let totalSamples = files.map { o.dumps[$0].sampleCount ?? 0 }.reduce(0, +)
        let totalAffected = affected.map { $0.filter { $0 }.count }.reduce(0, +)
        let softmaxFiles = files.filter { o.dumps[$0].target.passesThroughSoftmax }

        // 1. Softmax saturation.
        var explainedBySaturation = 0, affectedInSoftmaxFiles = 0, saturatedHealthy = 0, shrunkHealthy = 0
        var regimeCounts: [SoftmaxRegime: Int] = [:]
        var marginsAffected: [Double] = [], marginsHealthy: [Double] = []
        for d in softmaxFiles {
            let a = affected[d]
            affectedInSoftmaxFiles += a.filter { $0 }.count
            guard let regimes = o.regimes[d], let margins = o.margins[d] else { continue }
            for i in a.indices {
                if a[i] {
                    regimeCounts[regimes[i], default: 0] += 1
                    if regimes[i].isSaturated { explainedBySaturation += 1 }
                    marginsAffected.append(margins[i])
                } else {
                    // A sample past float32's rounding with usable gradients contradicts saturation;
                    // a merely shrunk one does not.
                    if regimes[i] == .rounded || regimes[i] == .exactZero { saturatedHealthy += 1 }
                    if regimes[i] == .shrunk { shrunkHealthy += 1 }
                    marginsHealthy.append(margins[i])
                }
            }
        }
        if affectedInSoftmaxFiles > 0 {
            let haveLogits = softmaxFiles.allSatisfy { o.regimes[$0] != nil }
            var evidence = ["the gradients are of `\(Set(softmaxFiles.map { o.dumps[$0].target.description }).sorted().joined(separator: ", "))`, which passes through the softmax",
                            "\(affectedInSoftmaxFiles) sample-epochs have an all-zero or vanishing gradient"]
            var score: Double
            if haveLogits {
                score = Double(explainedBySaturation) / Double(affectedInSoftmaxFiles)
                let counts = SoftmaxRegime.allCases.compactMap { r in regimeCounts[r].map { "\($0) \(r.rawValue)" } }.joined(separator: ", ")
                evidence.append("\(explainedBySaturation) of them are saturated in float32 (regimes of the affected: \(counts))")
                if !marginsAffected.isEmpty {
                    evidence.append("logit margin of the affected samples: median \(Fmt.g(median(marginsAffected), digits: 1)) (min \(Fmt.g(marginsAffected.min()!, digits: 1))), of the others: median \(marginsHealthy.isEmpty ? "—" : Fmt.g(median(marginsHealthy), digits: 1))")
                }
                if shrunkHealthy > 0 { evidence.append("\(shrunkHealthy) more samples are shrunk more than 1000× by the softmax but not yet negligible") }
                if saturatedHealthy > 0 { evidence.append("\(saturatedHealthy) samples past float32's rounding still have usable gradients (score lowered)"); score *= 0.9 }
            } else {
                score = 0.5
                evidence.append("no /logits in the file, so the margins cannot be checked: saturation is likely but not shown")
            }
            let t = SoftmaxFloat32.thresholds(classes: max(2, o.dumps.first.flatMap { $0.shape(RunFormat.Dump.logits)?.last } ?? 2))
            evidence.append("in float32 p rounds to exactly 1 from a margin of \(Fmt.g(t.roundsToOne, digits: 1)) and the gradient of p is exactly zero from \(Fmt.g(t.exactZero, digits: 1)) (this file's class count)")
            out.append(ZeroGradDiagnosis(
                id: "softmax-saturation", title: "Softmax saturation", score: score, evidence: evidence,
                fix: "back-propagate from the logit (`loupe probe --target logit`), the pre-softmax score Grad-CAM is defined on; its gradient does not shrink with the margin"))
        }

        // 2. float16 storage flushing.
        var flushZeroedSamples = false
        let f16Cells = o.cells.filter { $0.storedAs == .float16 }
        if !f16Cells.isEmpty {
            let nonzero = f16Cells.map { $0.stats.entries - $0.stats.zeroEntries - $0.stats.nanEntries - $0.stats.infEntries }.reduce(0, +)
            let subnormal = f16Cells.map(\.stats.underFloat16Normal).reduce(0, +)
            let zeroSamples = f16Cells.map { $0.stats.allZero.filter { $0 }.count }.reduce(0, +)
            let nearFloor = f16Cells.map { c in c.stats.maxAbs.filter { $0 > 0 && $0 < 1e3 * GradientStats.float16Subnormal }.count }.reduce(0, +)
            let subnormalShare = Double(subnormal) / Double(max(nonzero, 1))
            flushZeroedSamples = zeroSamples > 0
            if zeroSamples > 0 || subnormalShare > 0.01 {
                let unexplained = max(0, totalAffected - explainedBySaturation)
                var score = min(1, subnormalShare * 2 + (nearFloor > 0 ? 0.3 : 0))
                if zeroSamples > 0 && unexplained > 0 { score = max(score, 0.6) }
                out.append(ZeroGradDiagnosis(
                    id: "float16-flush", title: "float16 storage flushes small gradients to zero", score: min(score, 1),
                    evidence: ["gradients stored as float16 at \(Set(f16Cells.map(\.layer)).sorted().joined(separator: ", "))",
                               "\(Fmt.percent(subnormalShare)) of the non-zero entries are below float16's smallest normal 6.1e-5 (precision already lost); values below 6e-8 are stored as 0",
                               "\(zeroSamples) layer-samples are all zero; \(nearFloor) samples have max |g| within 1000× of the float16 floor"],
                    fix: "record gradients in float32 (`loupe probe --dtype float32`); if the model also computes in float16, scale the target up (loss scaling) before back-propagating"))
            }
        }
        let f32Tiny = o.cells.filter { $0.storedAs != .float16 && $0.stats.underFloat16Subnormal > 0 }
        if !f32Tiny.isEmpty, f16Cells.isEmpty {
            let n = f32Tiny.map(\.stats.underFloat16Subnormal).reduce(0, +)
            out.append(ZeroGradDiagnosis(
                id: "float16-risk", title: "float16 would flush these gradients", score: 0.1,
                evidence: ["\(n) non-zero entries (at \(Set(f32Tiny.map(\.layer)).sorted().joined(separator: ", "))) are below 6e-8 and would become 0 if stored or computed in float16"],
                fix: "keep `--dtype float32` for these dumps"))
        }

        // 3. Dead ReLUs.
        let withActivations = o.cells.filter { $0.stats.deadChannels != nil }
        if let worst = withActivations.max(by: { deadShare($0) < deadShare($1) }), deadShare(worst) > 0 {
            let share = deadShare(worst)
            let list = withActivations.filter { deadShare($0) > 0 }.map { "\($0.layer) @ epoch \(o.dumps[$0.dump].epoch): \($0.stats.deadChannels!.count)/\($0.stats.channels)" }
            out.append(ZeroGradDiagnosis(
                id: "dead-relu", title: "Dead ReLU channels", score: share >= 0.5 ? share : share * 0.5,
                evidence: ["channels whose activation is zero for every probe sample: " + list.prefix(6).joined(separator: "; ") + (list.count > 6 ? "; …" : ""),
                           "a dead channel passes no gradient to the layers before it and adds nothing to a Grad-CAM map"],
                fix: "lower the learning rate or warm it up, check weight decay and initialisation, or use BatchNorm before the ReLU; channels dead from epoch 0 point at the initialisation"))
        }

        // 4. No gradient recorded.
        let blankFiles = files.filter { d in
            let cs = o.cells(of: d)
            return !cs.isEmpty && cs.allSatisfy { $0.stats.allZero.allSatisfy { $0 } }
        }
        let unexplainedBlank = blankFiles.filter { d in
            guard o.dumps[d].target.passesThroughSoftmax, let r = o.regimes[d] else { return true }
            return !r.allSatisfy { $0 == .exactZero }
        }
        let missing = files.flatMap { d in o.missingGradients[d].map { "\($0) @ epoch \(o.dumps[d].epoch)" } }
        if !unexplainedBlank.isEmpty || !missing.isEmpty {
            var evidence: [String] = []
            if !unexplainedBlank.isEmpty {
                evidence.append("every gradient entry of every layer is exactly 0 in \(unexplainedBlank.map { o.dumps[$0].path }.joined(separator: ", "))")
                evidence.append("the logit margins do not explain it (not all samples are in float32's exact-zero regime)")
            }
            if !missing.isEmpty { evidence.append("layers with activations but no gradients: " + missing.prefix(6).joined(separator: ", ")) }
            out.append(ZeroGradDiagnosis(
                id: "no-gradient", title: "No gradient recorded", score: unexplainedBlank.isEmpty ? 0.2 : 1, evidence: evidence,
                fix: "check that the probe back-propagated: the target must not be detached, hooks must sit on the module outputs, and activations need gradients even when parameters are frozen (`loupe probe --layers L` records them)"))
        }

        // 5. A layer the target does not reach.
        let unreached = o.cells.filter(\.unreached)
        if !unreached.isEmpty {
            out.append(ZeroGradDiagnosis(
                id: "unreached-layer", title: "The target does not reach a layer", score: 1,
                evidence: unreached.prefix(6).map { "\($0.layer) @ epoch \(o.dumps[$0.dump].epoch): all zero for all \($0.stats.samples) samples while other layers of the same file are not" },
                fix: "explain a layer on the path from the input to the recorded target (e.g. the last conv block before the classifier); a branch or head the target does not use has zero gradient by construction"))
        }

        // 6. Gradients fine, Grad-CAM map clipped by the ReLU.
        var clipped = 0, fine = 0
        var clippedWhere: [String] = []
        for cell in o.cells where !cell.unreached {
            guard let cam = cell.stats.camRawMax else { continue }
            for i in cam.indices where !(cell.stats.allZero[i] || cell.vanishing[i]) {
                fine += 1
                if cam[i] <= 0 { clipped += 1; if clippedWhere.count < 6 { clippedWhere.append("\(cell.layer) @ epoch \(o.dumps[cell.dump].epoch), sample \(i)") } }
            }
        }
        if clipped > 0 {
            out.append(ZeroGradDiagnosis(
                id: "gradcam-relu-clip", title: "Gradients fine, Grad-CAM map clipped to zero by its ReLU", score: Double(clipped) / Double(max(fine, 1)),
                evidence: ["\(clipped) of \(fine) layer-samples with usable gradients have Σ weight·activation ≤ 0 everywhere, e.g. " + clippedWhere.joined(separator: "; ")],
                fix: "not a gradient problem: the layer holds evidence against the class. Look at the negative map (−Σ weight·activation), a layer nearer the output, or the predicted class (`--target logit-predicted`)"))
        }

        let explained = out.filter { $0.id != "float16-risk" }.map(\.score).max() ?? 0
        if totalAffected > 0 && explained < 0.3 {
            out.append(ZeroGradDiagnosis(
                id: "unexplained", title: "Zero or vanishing gradients without a clear cause", score: 0.5,
                evidence: ["\(totalAffected) of \(totalSamples) sample-epochs have an all-zero or vanishing gradient, and none of the known causes accounts for most of them",
                           "see `zero_grad_samples.csv` for each sample's margin, regime and max |g| per layer"],
                fix: "compare with a dump of the same checkpoint with `--target logit` and `--dtype float32`; check the gradient hooks and the loss scaling"))
        }
        // Informational notes go last whatever their score.
        out.sort { ($0.id == "float16-risk" ? 1 : 0, -$0.score) < ($1.id == "float16-risk" ? 1 : 0, -$1.score) }
        // Precision warnings and clipped maps do not make gradients unhealthy: with no affected sample they
        // stay in the list, below "Healthy".
        let advisory: Set<String> = flushZeroedSamples ? ["float16-risk", "gradcam-relu-clip"] : ["float16-risk", "gradcam-relu-clip", "float16-flush"]
        let problems = out.filter { !advisory.contains($0.id) }
        if totalAffected == 0 && problems.isEmpty {
            let sparse = o.cells.map(\.stats.zeroFraction).max() ?? 0
            var evidence = ["no sample has an all-zero or vanishing gradient at any layer (\(totalSamples) sample-epochs, \(o.layers.count) layers)"]
            if sparse > 0 {
                evidence.append("up to \(Fmt.percent(sparse)) of the entries are exactly zero: normal where a ReLU or max-pool follows the layer (they route the gradient to some positions only)")
            }
            out.insert(ZeroGradDiagnosis(id: "healthy", title: "Healthy", score: 1, evidence: evidence, fix: "nothing to fix"), at: 0)
        }
        return out
    }

    static func deadShare(_ c: ZeroGradObservations.Cell) -> Double {
        Double(c.stats.deadChannels?.count ?? 0) / Double(max(c.stats.channels, 1))
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.filter { !$0.isNaN }.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
