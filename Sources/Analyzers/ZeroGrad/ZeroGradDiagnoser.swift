// The zero-gradient detector's reasoning. An *observation* is one probe sample at one recorded layer of
// one file; it is *affected* when it has a symptom (non-finite, missing, all-zero or vanishing gradient,
// all-zero activation, 1×1 layer). Each cause says which affected observations it explains, from the
// evidence in the file alone; its score is that share of all affected observations, so every score is
// on one scale. A cause that explains none is a note under the verdict; with no affected observation the
// verdict is Healthy. Ties go to the cause nearer the root (the model's output layer before the storage
// type that finished the job).
import Foundation
import LoupeCore

enum ZeroGradDiagnoser {
    /// Tie-break order: root causes first.
    static let priority = ["non-finite-gradients", "missing-gradients", "probability-outputs", "sigmoid-saturation", "softmax-saturation",
                           "no-spatial-extent", "dead-relu", "unreached-layer", "float16-flush", "no-gradient", "unexplained"]

    /// Per cell, per sample: explained by one cause.
    typealias Mask = [[Bool]]

    struct Candidate {
        var diagnosis: ZeroGradDiagnosis
        var mask: Mask
    }

    /// Ranks the explanations, best first: Healthy or the causes by score, then the notes.
    static func diagnose(_ o: ZeroGradObservations) -> [ZeroGradDiagnosis] {
        let total = o.affectedCount
        var causes: [Candidate] = [], notes: [ZeroGradDiagnosis] = []
        func empty() -> Mask { o.cells.map { [Bool](repeating: false, count: $0.stats.samples) } }
        func mask(_ test: (Int, Int) -> Bool) -> Mask {
            o.cells.indices.map { c in (0..<o.cells[c].stats.samples).map { i in o.cells[c].affected(i) && test(c, i) } }
        }
        func count(_ m: Mask) -> Int { m.map { $0.filter { $0 }.count }.reduce(0, +) }
        func add(_ id: String, _ title: String, _ m: Mask, _ evidence: [String], _ fix: String, noteEvidence: [String]? = nil) {
            let n = count(m)
            if n > 0 {
                causes.append(Candidate(diagnosis: ZeroGradDiagnosis(id: id, title: title, kind: .cause, score: Double(n) / Double(max(total, 1)),
                                                                     explained: n, affected: total, evidence: evidence, fix: fix), mask: m))
            } else if let noteEvidence, !noteEvidence.isEmpty {
                notes.append(ZeroGradDiagnosis(id: id, title: title, kind: .note, score: 0, explained: 0, affected: total, evidence: noteEvidence, fix: fix))
            }
        }
        let cells = o.cells
        let at = { (c: Int) in "\(cells[c].layer)" + (o.dumps.count > 1 ? " @ epoch \(o.dumps[cells[c].dump].epoch)" : "") }
        func saturated(_ c: Int, _ i: Int) -> Bool {
            guard let r = o.replays[cells[c].dump], i < r.regimes.count else { return false }
            return r.regimes[i].isSaturated
        }

        // 1. Non-finite gradients. NaN/∞ flows backwards: a sample with them at a layer has them, or the zeros
        // a ReLU leaves of them, at every layer before it, so those observations are explained too.
        do {
            var latest: [Int: [Int]] = [:]  // file → per sample: highest rank with non-finite gradients
            for c in cells where c.stats.nonFinite.contains(true) {
                var v = latest[c.dump] ?? [Int](repeating: -1, count: c.stats.samples)
                for i in c.stats.nonFinite.indices where c.stats.nonFinite[i] && i < v.count { v[i] = max(v[i], c.rank) }
                latest[c.dump] = v
            }
            // A sample whose scores are NaN/+∞ went non-finite in the forward pass: whatever its recorded
            // gradients are (NaN, or the zeros a ReLU leaves of NaN), they are explained by it.
            let badRow = o.replays.map { r in r.map { r in r.regimes.indices.map { r.regimes[$0] == .undefined || (r.margins[$0].isNaN && r.pTarget[$0].isNaN) } } }
            let m = mask { c, i in
                if let rows = badRow[cells[c].dump], i < rows.count, rows[i] { return true }
                guard let v = latest[cells[c].dump], i < v.count else { return false }
                return cells[c].rank <= v[i]
            }
            if count(m) > 0 {
                let bad = cells.indices.filter { cells[$0].stats.nonFinite.contains(true) }.sorted { cells[$0].rank < cells[$1].rank }
                let samples = Set(bad.flatMap { c in cells[c].stats.nonFinite.indices.filter { cells[c].stats.nonFinite[$0] }.map { "\(cells[c].dump)/\($0)" } })
                var evidence: [String] = []
                var afterLayer = cells.max { $0.rank < $1.rank }?.layer ?? "the recorded layers"
                if let first = bad.first, let lastIndex = bad.last {
                    evidence.append("\(samples.count) sample(s) have NaN or ±∞ gradients; first layer in network order where they appear: \(at(first)), "
                                    + "last (nearest the output): \(at(lastIndex))")
                    evidence.append(bad.prefix(6).map { c in "\(at(c)): \(cells[c].stats.nonFinite.filter { $0 }.count) samples, \(cells[c].stats.nanEntries) NaN and \(cells[c].stats.infEntries) ±∞ entries" }.joined(separator: "; "))
                    let last = cells[lastIndex]
                    afterLayer = last.layer
                    if let later = cells.filter({ $0.dump == last.dump && $0.rank > last.rank && $0.stats.hasGradients }).min(by: { $0.rank < $1.rank }) {
                        evidence.append("gradients flow backwards, so the NaN/∞ enters between \(last.layer) and \(later.layer) (finite there)")
                    } else {
                        evidence.append("gradients flow backwards, so the NaN/∞ enters after \(last.layer), between it and the target")
                    }
                    let masked = cells.filter { c in c.rank < last.rank && c.stats.hasGradients && c.stats.nonFinite.allSatisfy { !$0 } && c.stats.allZero.contains(true) }
                    if !masked.isEmpty { evidence.append("below it, \(Set(masked.map(\.layer)).sorted().joined(separator: ", ")) carries zeros for those samples: a ReLU passes nothing back where its input was NaN") }
                }
                let forward = cells.filter { $0.stats.activationNonFinite?.contains(true) == true }.sorted { $0.rank < $1.rank }
                if let first = forward.first {
                    evidence.append("the forward pass is already non-finite: first activation with NaN/∞ in network order is \(first.layer)")
                }
                let badScores = o.replays.compactMap { $0 }.map { r in r.regimes.filter { $0 == .undefined }.count }.reduce(0, +)
                let nanScores = o.dumps.indices.map { d in o.replays[d].map { r in r.margins.filter(\.isNaN).count } ?? 0 }.reduce(0, +)
                if badScores + nanScores > 0 { evidence.append("\(max(badScores, nanScores)) rows of /logits are NaN or +∞: the forward pass produced them, after the recorded layers") }
                if o.replays.contains(where: { $0?.kind == .logProbabilities }) {
                    evidence.append("/logits are log-probabilities with −∞ entries: log of a probability that underflowed to 0 has gradient 0·(1/0) = NaN")
                }
                evidence.append("usual sources: a division by a norm or standard deviation that is 0 (an all-zero feature, a blank image), log of 0 (log of a softmax or sigmoid written by hand), sqrt at 0, or overflow past 65504 in float16")
                add("non-finite-gradients", "NaN or infinite gradients", m, evidence,
                    "find the operation after \(afterLayer): add an epsilon to divisions by a norm (F.normalize(x, eps=1e-12), x / (n + 1e-6)), use log_softmax / logsigmoid instead of log(softmax(·)), avoid sqrt at 0, and compute in float32 where float16 overflows")
            }
        }

        // 2. Missing gradients: activations recorded, gradients not.
        do {
            let m = mask { c, i in o.cells[c].symptoms[i].contains(.missing) }
            let missing = cells.filter { !$0.stats.hasGradients }
            let present = cells.filter { $0.stats.hasGradients }
            var evidence = ["\(Set(missing.map(\.layer)).count) recorded layer(s) have activations but no gradients: " + missing.prefix(8).map { c in c.layer + (o.dumps.count > 1 ? " @ epoch \(o.dumps[c.dump].epoch)" : "") }.joined(separator: ", ")]
            evidence.append(present.isEmpty ? "no layer of these files has gradients: the backward pass never reached the hooks (in PyTorch `backward()` then raises \"element 0 of tensors does not require grad and does not have a grad_fn\")"
                            : "gradients are present at " + Set(present.map(\.layer)).sorted().joined(separator: ", ") + ": the layers without them sit where autograd was off (a frozen, no_grad part of the model) or off the path to the target (PyTorch leaves `.grad` None there)")
            add("missing-gradients", "Activations recorded without gradients", m, evidence,
                "in PyTorch, gradients need `requires_grad` on the activation, not on the parameters: run the forward without `torch.no_grad()`/`torch.inference_mode()`, and with frozen parameters (`requires_grad=False`) set `x.requires_grad_(True)` on the input (or re-enable the parameters of the explained layers) so the hooks' tensors get a grad; with Loupe, `loupe probe --layers L --target logit` records both")
        }

        // 3–5. Saturation of the output layer, per file: the model's own softmax/log_softmax/sigmoid (probability
        // outputs), a sigmoid the probe applied (one output) or the softmax the probe applied.
        for (id, title) in [("probability-outputs", "The model outputs probabilities, not logits"),
                            ("sigmoid-saturation", "Sigmoid saturation (one-output model)"),
                            ("softmax-saturation", "Softmax saturation")] {
            let files = o.dumps.indices.filter { d in
                guard let r = o.replays[d] else { return id == "softmax-saturation" && o.dumps[d].target.passesThroughSoftmax }
                switch id {
                case "probability-outputs": return r.kind.isModelOutput
                case "sigmoid-saturation": return r.kind == .binaryLogit && o.dumps[d].target.passesThroughSoftmax
                default: return r.kind == .logits && o.dumps[d].target.passesThroughSoftmax
                }
            }
            guard !files.isEmpty else { continue }
            let fileSet = Set(files)
            let m = mask { c, i in
                fileSet.contains(cells[c].dump) && !cells[c].symptoms[i].isDisjoint(with: .zeroOrVanishing) && saturated(c, i)
            }
            let evidence = saturationEvidence(id, files: files, o: o)
            let fixes = [
                "probability-outputs": "explain the score before the output non-linearity: take the layer before the softmax/sigmoid (e.g. the last Linear, `model[:-1]` or a forward hook on it), or make the model return logits and use `--target logit`",
                "sigmoid-saturation": "back-propagate from the logit itself (`--target logit`; for the negative class its negative, as pytorch-grad-cam's BinaryClassifierOutputTarget does): its gradient does not shrink with |z|",
                "softmax-saturation": "back-propagate from the logit (`loupe probe --target logit`), the pre-softmax score Grad-CAM is defined on; its gradient does not shrink with the margin",
            ]
            // Without /logits the regimes are unknown: say so, claim nothing.
            let unknown = files.filter { o.replays[$0] == nil }
            // As a note only when there is something to say: probability outputs, samples shrunk or rounded
            // without being affected, or files whose margins cannot be checked.
            var noteEvidence: [String] = []
            if id == "probability-outputs" || evidence.contains(where: { $0.contains("more samples are shrunk") || $0.contains("past float32's rounding") }) {
                noteEvidence = evidence
            }
            if !unknown.isEmpty { noteEvidence.append("no /logits in \(unknown.count) file(s), so the margins cannot be checked: saturation is possible but not shown") }
            add(id, title, m, evidence, fixes[id]!, noteEvidence: noteEvidence)
        }

        // 6. No spatial extent: a 1×1 layer.
        do {
            let m = mask { c, i in cells[c].symptoms[i].contains(.flat) }
            let flat = Set(cells.filter { $0.stats.spatial == 1 }.map(\.layer))
            let spatial = cells.filter { $0.stats.spatial > 1 }.sorted { $0.rank < $1.rank }
            let suggestion = spatial.last.map { "`\($0.layer)` (recorded, \($0.stats.spatial) positions)" } ?? "the output of the last convolutional block before the global pooling (`layer4` in a ResNet, `features` in VGG/DenseNet)"
            add("no-spatial-extent", "The layer has no spatial extent (1×1)", m,
                ["\(flat.sorted().joined(separator: ", ")) is 1×1 (h×w = 1): its Grad-CAM map is one number, the same over the whole image, whatever the gradients",
                 "the gradients themselves may be fine; a 1×1 layer sits after global pooling, where all positions are already averaged"],
                "explain the last layer that still has spatial size: \(suggestion)")
        }

        // 7. Dead ReLU, from the activations' signs in network order: a sample is dead at layer M when M's
        // activation is all 0 (a ReLU output passing nothing), or all ≤ 0 with an all-zero gradient (the
        // pre-activation of a ReLU that passes nothing). Its zero gradients at M's pre-activation and at every
        // layer before M are explained, and so is an all-zero activation itself.
        var deadMask = empty()
        do {
            var zeroAfter: [Int: [Int]] = [:], gatedAt: [Int: [Int]] = [:]
            for c in cells {
                guard let z = c.stats.activationZero, let np = c.stats.activationNonPositive else { continue }
                var a = zeroAfter[c.dump] ?? [Int](repeating: -1, count: c.stats.samples)
                var b = gatedAt[c.dump] ?? [Int](repeating: -1, count: c.stats.samples)
                for i in 0..<min(c.stats.samples, a.count) {
                    if z[i] { a[i] = max(a[i], c.rank) }
                    if np[i] && c.stats.hasGradients && c.stats.allZero[i] { b[i] = max(b[i], c.rank) }
                }
                zeroAfter[c.dump] = a; gatedAt[c.dump] = b
            }
            // The same scores for every probe sample: the output does not depend on the input, so no
            // gradient reaches any layer, as when every unit of a layer after the recorded ones is closed.
            let constant: Set<Int> = Set(o.dumps.indices.filter { d in o.replays[d].map { Self.constantScores($0, o.dumps[d]) } ?? false })
            deadMask = mask { c, i in
                let cell = cells[c]
                if cell.symptoms[i].contains(.zeroActivation) { return true }
                guard !cell.symptoms[i].isDisjoint(with: .zeroOrVanishing) else { return false }
                if constant.contains(cell.dump) && cell.symptoms[i].contains(.zero) { return true }
                let a = zeroAfter[cell.dump].map { i < $0.count ? $0[i] : -1 } ?? -1
                let b = gatedAt[cell.dump].map { i < $0.count ? $0[i] : -1 } ?? -1
                return cell.rank < a || cell.rank <= b
            }
            var evidence: [String] = []
            for c in cells.sorted(by: { $0.rank < $1.rank }) {
                guard let z = c.stats.activationZero, let np = c.stats.activationNonPositive else { continue }
                let zeros = z.filter { $0 }.count
                let gated = np.indices.filter { np[$0] && c.stats.hasGradients && c.stats.allZero[$0] && !z[$0] }.count
                if zeros > 0 { evidence.append("\(c.layer): activation exactly 0 everywhere for \(zeros) of \(c.stats.samples) samples (a ReLU output passing nothing)") }
                if gated > 0 { evidence.append("\(c.layer): activation ≤ 0 everywhere (\(c.stats.hasNegativeActivation ? "negative values: the input of a ReLU" : "no positive value")) and gradient exactly 0 for \(gated) of \(c.stats.samples) samples: the ReLU after it passes nothing back") }
            }
            let deadChannels = cells.filter { ($0.stats.deadChannels?.count ?? 0) > 0 }
            let channelText = deadChannels.prefix(6).map { c in
                c.layer + (o.dumps.count > 1 ? " @ epoch \(o.dumps[c.dump].epoch)" : "") + ": \(c.stats.deadChannels!.count)/\(c.stats.channels)"
            }
            if !deadChannels.isEmpty {
                evidence.append("channels zero on every probe sample: " + channelText.joined(separator: "; ") + (deadChannels.count > 6 ? "; …" : ""))
            }
            if !constant.isEmpty {
                evidence.append("/logits are the same for all \(o.dumps[constant.min()!].sampleCount ?? 0) probe samples: the output does not depend on the input, as when every unit of a layer after the recorded ones is closed (or its weights are zero)")
            }
            if count(deadMask) > 0 { evidence.append("no gradient passes back through a closed ReLU, so every layer before it gets zero for those samples") }
            add("dead-relu", "Dead ReLUs", deadMask, evidence,
                "lower the learning rate or warm it up, check weight decay and initialisation (biases that went very negative), or use BatchNorm before the ReLU / LeakyReLU; channels dead from epoch 0 point at the initialisation",
                noteEvidence: deadChannels.isEmpty ? nil : ["channels zero on every probe sample: " + channelText.joined(separator: "; ") + ": they add nothing to a Grad-CAM map" + (total == 0 ? "; every sample still has usable gradients" : "; they explain none of the affected samples")])
        }

        // float16 evidence per file: many stored values already below float16's normal range.
        let f16Evidence: Set<Int> = Set(o.dumps.indices.filter { d in
            let f16 = cells.filter { $0.dump == d && $0.storedAs == .float16 }
            guard !f16.isEmpty else { return false }
            let nonzero = f16.map { $0.stats.entries - $0.stats.zeroEntries - $0.stats.nanEntries - $0.stats.infEntries }.reduce(0, +)
            let sub = f16.map(\.stats.underFloat16Normal).reduce(0, +)
            let tinySamples = f16.contains { c in c.stats.maxAbs.contains { $0 > 0 && $0 < GradientStats.float16MinNormal } }
            // Every stored value 0: float16's floor cannot be told from no gradient at all; float16 is checked first.
            let blank = cells.filter { $0.dump == d && $0.stats.hasGradients }.allSatisfy { $0.stats.allZero.allSatisfy { $0 } }
            return Double(sub) > 0.01 * Double(max(nonzero, 1)) || tinySamples || blank
        })

        // 8. A layer the target does not reach: all zero for all samples while another layer of the file is not.
        do {
            let saturationMasks = causes.map(\.mask)
            let m = mask { c, i in
                let cell = cells[c]
                guard cell.stats.hasGradients, cell.stats.allZero.allSatisfy({ $0 }), !f16Evidence.contains(cell.dump) else { return false }
                let others = cells.filter { $0.dump == cell.dump && $0.layer != cell.layer && $0.stats.hasGradients }
                guard others.contains(where: { $0.stats.allZero.contains(false) }) else { return false }
                // Not when activations or the output layer explain the zeros of this layer.
                if deadMask[c].contains(true) || saturationMasks.contains(where: { $0[c].contains(true) }) { return false }
                return true
            }
            let layers = cells.indices.filter { m[$0].contains(true) }
            add("unreached-layer", "The target does not reach a layer", m,
                layers.prefix(6).map { "\(at($0)): every gradient entry is 0 for all \(cells[$0].stats.samples) samples while other layers of the same file have gradients" }
                + ["its activations are not dead and the output layer is not saturated, so the layer is off the path from the input to the target (another head or branch), or cut by a `.detach()`"],
                "explain a layer on the path to the recorded target (e.g. the last conv block before the classifier); a branch or head the target does not use has zero gradient by construction")
        }

        // 9. float16 flushing: zero or vanishing values stored in float16 where the file shows float16's floor.
        do {
            let f16Cells = cells.filter { $0.storedAs == .float16 }
            let m = mask { c, i in
                cells[c].storedAs == .float16 && f16Evidence.contains(cells[c].dump)
                    && !cells[c].symptoms[i].isDisjoint(with: .zeroOrVanishing) && !saturated(c, i)
            }
            if !f16Cells.isEmpty {
                let nonzero = f16Cells.map { $0.stats.entries - $0.stats.zeroEntries - $0.stats.nanEntries - $0.stats.infEntries }.reduce(0, +)
                let subnormal = f16Cells.map(\.stats.underFloat16Normal).reduce(0, +)
                let share = Double(subnormal) / Double(max(nonzero, 1))
                let zeroSamples = f16Cells.map { $0.stats.allZero.filter { $0 }.count }.reduce(0, +)
                let evidence = ["gradients stored as float16 at \(Set(f16Cells.map(\.layer)).sorted().joined(separator: ", "))",
                                "\(Fmt.percent(share)) of the non-zero entries are below float16's smallest normal 6.1e-5 (precision already lost); values below 3e-8 are stored as 0",
                                "\(zeroSamples) layer-samples are all zero; the output layer is not saturated for the affected samples, so float16 is what zeroed them"
                                + (nonzero == 0 ? " (every stored value is 0: a float32 dump tells float16's floor from no gradient at all)" : "")]
                add("float16-flush", "float16 storage flushes small gradients to zero", m, evidence,
                    "record gradients in float32 (`loupe probe --dtype float32`); if the model also computes in float16 (autocast), scale the target up (loss scaling) before back-propagating",
                    noteEvidence: share > 0.01 ? [evidence[0], evidence[1], "no sample lost its gradient to it"] : nil)
            }
            let f32Tiny = cells.filter { $0.storedAs == .float32 && $0.stats.underFloat16Subnormal > 0 }
            if !f32Tiny.isEmpty, f16Cells.isEmpty {
                notes.append(ZeroGradDiagnosis(id: "float16-risk", title: "float16 would flush some of these gradients", kind: .note, score: 0, explained: 0, affected: total,
                                               evidence: ["\(f32Tiny.map(\.stats.underFloat16Subnormal).reduce(0, +)) non-zero entries (at \(Set(f32Tiny.map(\.layer)).sorted().joined(separator: ", "))) are below 6e-8 and would become 0 if stored or computed in float16"],
                                               fix: "keep `--dtype float32` for these dumps"))
            }
        }

        // 10. Nothing reached any layer, and nothing above explains it.
        var explainedSoFar = empty()
        for cand in causes { for c in cand.mask.indices { for i in cand.mask[c].indices where cand.mask[c][i] { explainedSoFar[c][i] = true } } }
        do {
            let blank = Set(o.dumps.indices.filter { d in
                let cs = cells.filter { $0.dump == d && $0.stats.hasGradients }
                return !cs.isEmpty && cs.allSatisfy { $0.stats.allZero.allSatisfy { $0 } }
            })
            let m = mask { c, i in blank.contains(cells[c].dump) && cells[c].symptoms[i].contains(.zero) && !explainedSoFar[c][i] }
            add("no-gradient", "No gradient reached any recorded layer", m,
                ["every gradient entry of every recorded layer is exactly 0 in " + blank.sorted().map { o.dumps[$0].path }.joined(separator: ", "),
                 "neither the output layer (logits, margins) nor the activations (dead ReLUs) explain it"],
                "check that the probe back-propagated: the target must not be detached, hooks must sit on module outputs and read `.grad` after `backward()`, and gradients must not be zeroed (`zero_grad`) before they are read (`loupe probe --layers L` records them)")
            for c in m.indices { for i in m[c].indices where m[c][i] { explainedSoFar[c][i] = true } }
        }

        // 11. What no cause explains.
        do {
            let m = mask { c, i in !explainedSoFar[c][i] }
            var kinds: [String: Int] = [:]
            for c in m.indices { for i in m[c].indices where m[c][i] { for s in cells[c].symptoms[i].names { kinds[s, default: 0] += 1 } } }
            add("unexplained", "Affected gradients without a known cause", m,
                ["\(count(m)) of \(total) affected layer-samples fit none of the known causes (" + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")",
                 "see `zero_grad_samples.csv` for each sample's margin, regime and max |g| per layer"],
                "compare with a dump of the same checkpoint with `--target logit` and `--dtype float32`; check the gradient hooks and the loss scaling")
        }

        // Notes that explain no affected observation by nature.
        var clipped = 0, fine = 0
        var clippedWhere: [String] = []
        for (c, cell) in cells.enumerated() {
            guard let cam = cell.stats.camRawMax, cell.stats.spatial > 1 else { continue }
            for i in cam.indices where !cell.affected(i) {
                fine += 1
                if cam[i] <= 0 { clipped += 1; if clippedWhere.count < 4 { clippedWhere.append("\(at(c)), sample \(i)") } }
            }
        }
        if clipped > 0 {
            notes.append(ZeroGradDiagnosis(
                id: "gradcam-relu-clip", title: "Gradients fine, some Grad-CAM maps clipped to zero by its ReLU", kind: .note, score: 0, explained: 0, affected: total,
                evidence: ["\(clipped) of \(fine) layer-samples with usable gradients (\(Fmt.percent(Double(clipped) / Double(max(fine, 1))))) have Σ weight·activation ≤ 0 everywhere, e.g. " + clippedWhere.joined(separator: "; ")],
                fix: "not a gradient problem: the layer holds evidence against the class. Look at the negative map (−Σ weight·activation), a layer nearer the output, or the predicted class (`--target logit-predicted`)"))
        }

        var ranked = causes.map(\.diagnosis).sorted {
            if abs($0.score - $1.score) > 1e-12 { return $0.score > $1.score }
            return (priority.firstIndex(of: $0.id) ?? priority.count) < (priority.firstIndex(of: $1.id) ?? priority.count)
        }
        if total == 0 {
            let sparse = cells.map(\.stats.zeroFraction).max() ?? 0
            var evidence = ["no sample has a zero, vanishing, non-finite or missing gradient at any recorded layer (\(o.observationCount) layer-samples, \(o.layers.count) layers, \(o.dumps.count) file(s))"]
            if sparse > 0 {
                evidence.append("up to \(Fmt.percent(sparse)) of the entries are exactly zero: normal where a ReLU or max-pool follows the layer (they route the gradient to some positions only)")
            }
            if !notes.isEmpty { evidence.append("notes below explain no affected sample") }
            ranked.insert(ZeroGradDiagnosis(id: "healthy", title: "Healthy", kind: .verdict, score: 1, explained: 0, affected: 0, evidence: evidence, fix: "nothing to fix"), at: 0)
        }
        return ranked + notes
    }

    /// True when every probe sample of the file has the same finite scores (at least 2 samples).
    static func constantScores(_ r: TargetReplay, _ dump: DumpFile) -> Bool {
        guard let z = try? dump.floats(RunFormat.Dump.logits), r.classes > 0, z.count >= 2 * r.classes, z.allSatisfy(\.isFinite) else { return false }
        let first = z[0..<r.classes]
        for i in 1..<(z.count / r.classes) {
            for j in 0..<r.classes where abs(z[i * r.classes + j] - first[j]) > 1e-6 * max(1, abs(first[j])) { return false }
        }
        return true
    }

    /// Evidence for a saturation cause over `files`.
    static func saturationEvidence(_ id: String, files: [Int], o: ZeroGradObservations) -> [String] {
        var regimeCounts: [SoftmaxRegime: Int] = [:], affectedMargins: [Double] = [], otherMargins: [Double] = []
        var affectedSamples = 0, shrunkFine = 0, saturatedFine = 0
        for d in files {
            guard let r = o.replays[d] else { continue }
            let mine = o.cells(of: d)
            for i in r.regimes.indices {
                let hit = mine.contains { i < $0.symptoms.count && !$0.symptoms[i].isDisjoint(with: .zeroOrVanishing) }
                if hit {
                    affectedSamples += 1; regimeCounts[r.regimes[i], default: 0] += 1
                    if r.margins[i].isFinite { affectedMargins.append(r.margins[i]) }
                } else {
                    if r.margins[i].isFinite { otherMargins.append(r.margins[i]) }
                    if r.regimes[i] == .shrunk { shrunkFine += 1 }
                    if r.regimes[i] == .rounded || r.regimes[i] == .exactZero { saturatedFine += 1 }
                }
            }
        }
        let replays = files.compactMap { o.replays[$0] }
        let targets = Set(files.map { o.dumps[$0].target.description }).sorted().joined(separator: ", ")
        var evidence: [String] = []
        switch id {
        case "probability-outputs":
            let kinds = Set(replays.map(\.kind.rawValue)).sorted().joined(separator: ", ")
            evidence.append("the values stored as /logits are \(kinds): " + (replays.contains { $0.kind == .sigmoidProbabilities } ? (replays.contains { $0.classes == 1 } ? "one column, every value in [0, 1]" : "every value in [0, 1] and rows that do not sum to 1 (a multi-label sigmoid head)")
                            : replays.contains { $0.kind == .probabilities } ? "every row lies in [0, 1] and sums to 1" : "every value ≤ 0 and every row's log Σ exp is 0"))
            evidence.append("so the model's forward ends in its own softmax/log_softmax/sigmoid, and the gradients of `\(targets)` pass through it")
        case "sigmoid-saturation":
            evidence.append("one output (/logits is N×1): the gradient of `\(targets)` passes through a sigmoid, σ'(z) = σ(1 − σ)")
            evidence.append("in float32 σ rounds to exactly 1 from z ≈ \(Fmt.g(SigmoidFloat32.roundsToOne(), digits: 1)), where the gradient of the probability becomes exactly 0")
        default:
            evidence.append("the gradients are of `\(targets)`, which passes through the softmax")
        }
        evidence.append("\(affectedSamples) sample-epochs have an all-zero or vanishing gradient; regimes of the affected: "
                        + SoftmaxRegime.allCases.compactMap { r in regimeCounts[r].map { "\($0) \(r.rawValue)" } }.joined(separator: ", "))
        if !affectedMargins.isEmpty {
            evidence.append("margin toward the true class of the affected samples: median \(Fmt.g(median(affectedMargins), digits: 1)) (min \(Fmt.g(affectedMargins.min()!, digits: 1))), of the others: median \(otherMargins.isEmpty ? "—" : Fmt.g(median(otherMargins), digits: 1))")
        }
        if shrunkFine > 0 { evidence.append("\(shrunkFine) more samples are shrunk more than 1000× by the output layer but not yet negligible") }
        if saturatedFine > 0 { evidence.append("\(saturatedFine) samples past float32's rounding still have usable gradients (they contradict this cause)") }
        if id == "softmax-saturation" {
            let k = max(2, replays.first?.classes ?? 2)
            let t = SoftmaxFloat32.thresholds(classes: k)
            evidence.append("in float32 p rounds to exactly 1 from a margin of \(Fmt.g(t.roundsToOne, digits: 1)) and the gradient of p is exactly zero from \(Fmt.g(t.exactZero, digits: 1)) (\(k) classes)")
        }
        return evidence
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.filter { !$0.isNaN }.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
