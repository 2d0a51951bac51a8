import Analyzers
import Foundation

/// The report's four findings, each a sentence computed from the numbers, never written in advance.
public struct DemoFindings {
    public struct Finding {
        var letter: String
        var question: String
        var holds: Bool
        /// False when the data cannot answer the question (no object boxes for (c)); `holds` is then false.
        var measurable = true
        var text: String
        var numbers: [String: Double]

        /// "holds", "does not hold on this run" or "not measurable on this data".
        var verdict: String { measurable ? (holds ? "holds" : "does not hold on this run") : "not measurable on this data" }

        /// One terminal line: the verdict, then the first sentence of the text without markdown.
        public var line: String {
            let plain = text.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "*", with: "").replacingOccurrences(of: "`", with: "")
            let first = plain.range(of: ". ").map { String(plain[..<$0.lowerBound]) + "." } ?? plain
            return "(\(letter)) \(verdict): \(first)"
        }
    }

    let analyses: DemoAnalyses.Result
    /// The nuisance attribute, as the report names it ("background colour", "mean intensity").
    var nuisance = "background colour"

    func all() -> [Finding] { [classClusters(), colourClusters(), attention(), saturation()] }

    /// A purity metric of one run, typed: a renamed summary key fails to compile or fails the run, it does
    /// not silently become NaN. NaN only when the run has no purity result or the metric is undefined.
    private func purity(_ run: String, _ metrics: (PurityAnalyzer.Summary) -> PurityAnalyzer.Summary.Metrics?,
                        _ metric: KeyPath<PurityAnalyzer.Summary.Metrics, Double?>) -> Double {
        guard let record = analyses.comparison.results[run]?[PurityAnalyzer.id], let s = try? record.summary(PurityAnalyzer()) else { return .nan }
        return metrics(s)?[keyPath: metric] ?? .nan
    }
    private func byClass(_ s: PurityAnalyzer.Summary) -> PurityAnalyzer.Summary.Metrics? { s.byClass }
    private func byColour(_ s: PurityAnalyzer.Summary) -> PurityAnalyzer.Summary.Metrics? { s.byNuisance }

    /// (a) Is the pretrained embedding better clustered by class than the scratch one?
    func classClusters() -> Finding {
        let knn = (purity("pretrained", byClass, \.knnAccuracy), purity("scratch", byClass, \.knnAccuracy))
        let nmi = (purity("pretrained", byClass, \.nmi), purity("scratch", byClass, \.nmi))
        let holds = knn.0 > knn.1 && nmi.0 > nmi.1
        let text = "The fine-tuned pretrained ResNet-18's embedding is \(holds ? "" : "**not** ")better clustered by class than the scratch LittleConv's: "
            + "10-NN accuracy by class \(f(knn.0)) vs \(f(knn.1)), k-means NMI with the classes \(f(nmi.0)) vs \(f(nmi.1))."
            + (holds ? "" : " (Both numbers would have to be higher for the pretrained run.)")
        return Finding(letter: "a", question: "Does the pretrained embedding cluster by class more than the scratch one?", holds: holds, text: text,
                       numbers: ["knn_class_pretrained": knn.0, "knn_class_scratch": knn.1, "nmi_class_pretrained": nmi.0, "nmi_class_scratch": nmi.1])
    }

    /// (b) Is the scratch embedding more clustered by the nuisance attribute (background colour) than the pretrained one?
    func colourClusters() -> Finding {
        let knn = (purity("scratch", byColour, \.knnAccuracy), purity("pretrained", byColour, \.knnAccuracy))
        let nmi = (purity("scratch", byColour, \.nmi), purity("pretrained", byColour, \.nmi))
        let holds = knn.0 > knn.1 && nmi.0 > nmi.1
        let text = "The scratch LittleConv's embedding is \(holds ? "" : "**not** ")more clustered by \(nuisance) than the pretrained one's: "
            + "10-NN accuracy on the \(nuisance) groups \(f(knn.0)) vs \(f(knn.1)), NMI with the \(nuisance) groups \(f(nmi.0)) vs \(f(nmi.1))."
        return Finding(letter: "b", question: "Does the scratch embedding cluster by \(nuisance) more than the pretrained one?", holds: holds,
                       text: text, numbers: ["knn_colour_scratch": knn.0, "knn_colour_pretrained": knn.1, "nmi_colour_scratch": nmi.0, "nmi_colour_pretrained": nmi.1])
    }

    /// (c) Does Grad-CAM energy on the object rise from epoch 0 to the last epoch?
    func attention() -> Finding {
        var parts: [String] = [], numbers: [String: Double] = [:]
        var rises: [Bool] = []
        for run in DemoAnalyses.runOrder {
            guard let attention = (try? analyses.gradcam[run]?.summary(GradCAMAnalyzer()))??.attentionOnObject,
                  let first = attention.energyInside.first ?? nil, let last = attention.energyInside.last ?? nil else {
                parts.append("\(run): no object masks in the dumps, so no score")
                rises.append(false)
                continue
            }
            let chance = attention.chance ?? .nan
            let epochs = attention.epochs
            rises.append(last > first)
            numbers["energy_first_\(run)"] = first
            numbers["energy_last_\(run)"] = last
            numbers["chance"] = chance
            parts.append("\(run) (\(analyses.gradcamLayer[run] ?? "?")): \(f(first)) at epoch \(epochs.first ?? 0) → \(f(last)) at epoch \(epochs.last ?? 0)")
        }
        if numbers.isEmpty {
            return Finding(letter: "c", question: "Does Grad-CAM attention move onto the object over training?", holds: false, measurable: false,
                           text: "Not measurable on this data: the probe set has no object boxes or masks, so there is no attention-on-object score. "
                               + "The Grad-CAM image × epoch grids above still show where each network looks.", numbers: [:])
        }
        let holds = rises.allSatisfy { $0 } && !rises.isEmpty
        let chance = numbers["chance"].map { " (chance, the object's share of the image: \(f($0)))" } ?? ""
        let text = "The share of Grad-CAM energy inside the object \(holds ? "rises" : "does **not** rise in every run") from the first to the last epoch: "
            + parts.joined(separator: "; ") + chance + "."
        return Finding(letter: "c", question: "Does Grad-CAM attention move onto the object over training?", holds: holds, text: text, numbers: numbers)
    }

    /// (d) With the prob target at the last epoch, which samples have zero or vanishing gradients, how does that
    /// follow their logit margins, what does the detector say, and does the logit target remove them?
    func saturation() -> Finding {
        var parts: [String] = [], numbers: [String: Double] = [:]
        var shown = false, contradicted = false
        for run in DemoAnalyses.runOrder {
            guard let records = analyses.zeroGrad[run], let prob = records["prob-float16"], let logit = records["logit"] else { continue }
            let p = Affected(prob), l = Affected(logit), p32 = records["prob-float32"].map(Affected.init)
            let typed = try? prob.summary(ZeroGradAnalyzer())
            let diagnosis = typed?.topTitle ?? "?"
            let diagnosisID = typed?.diagnosis ?? ""
            numbers["prob_affected_\(run)"] = Double(p.affected.count)
            numbers["logit_affected_\(run)"] = Double(l.affected.count)
            numbers["median_margin_affected_\(run)"] = p.medianMargin(affected: true)
            numbers["median_margin_other_\(run)"] = p.medianMargin(affected: false)
            let follows = p.affected.isEmpty || p.medianMargin(affected: true) > p.medianMargin(affected: false)
            // A run shows the story when prob gradients vanish, on the high-margin samples, the detector names
            // saturation and the logit target has none; it contradicts it when prob gradients vanish otherwise.
            let story = follows && l.affected.isEmpty && diagnosisID.contains("saturation")
            if !p.affected.isEmpty { if story { shown = true } else { contradicted = true } }
            var s = "**\(run)** (layer \(p.layer)): with the `prob` target, \(p.affected.count) of \(p.count) probe samples have an all-zero (\(p.allZero)) or vanishing (\(p.affected.count - p.allZero)) gradient"
            if !p.affected.isEmpty {
                s += "; their logit margins have median \(f(p.medianMargin(affected: true))) against \(f(p.medianMargin(affected: false))) for the others"
                s += " (\(p.regimeCounts)); "
            } else {
                s += "; "
            }
            if let p32 { s += "stored as float32 instead, \(p32.affected.count) are affected (\(p32.allZero) all zero); " }
            s += "the detector's top diagnosis: *\(diagnosis)*; with the `logit` target \(l.affected.count) samples are affected."
            parts.append(s)
        }
        let holds = shown && !contradicted
        let text = (holds ? "Softmax saturation explains the zero gradients, and back-propagating from the logit removes them. "
                          : shown ? "Saturation explains some zero gradients, but not all of them (see below). "
                                  : "No probe sample has a zero or vanishing `prob` gradient at the last epoch, so this run does **not** reproduce the zero gradients. ")
            + parts.joined(separator: " ")
        return Finding(letter: "d", question: "Why did Grad-CAM gradients turn zero late in training?", holds: holds, text: text, numbers: numbers)
    }

    /// Per-sample zero/vanishing flags and margins at the last layer of one zero-grad record.
    struct Affected {
        var layer = "?"
        var count = 0
        var affected: [Int] = []
        var allZero = 0
        var margins: [Double] = []
        var regimes: [String] = []

        init(_ record: AnalyzerRunner.Record) {
            let arrays = record.output.arrays
            let layers: [String]
            layers = (try? record.summary(ZeroGradAnalyzer()))?.layers ?? []
            layer = layers.last ?? "?"
            func values(_ suffix: String) -> [Double] {
                guard let a = arrays.first(where: { $0.path.hasSuffix(suffix) }) else { return [] }
                switch a.values {
                case .float32(let v): return v.map(Double.init)
                case .float64(let v): return v
                case .int32(let v): return v.map(Double.init)
                case .int64(let v): return v.map(Double.init)
                case .uint8(let v): return v.map(Double.init)
                case .strings: return []
                }
            }
            let zero = values("/\(layer)/all_zero"), vanishing = values("/\(layer)/vanishing")
            margins = values("/margin")
            if let r = arrays.first(where: { $0.path.hasSuffix("/regime") }), case .strings(let s) = r.values { regimes = s }
            count = zero.count
            affected = zero.indices.filter { zero[$0] > 0 || (vanishing.indices.contains($0) && vanishing[$0] > 0) }
            allZero = zero.filter { $0 > 0 }.count
        }

        func medianMargin(affected wanted: Bool) -> Double {
            let set = Set(affected)
            let m = margins.indices.filter { set.contains($0) == wanted }.map { margins[$0] }.sorted()
            return m.isEmpty ? .nan : m[m.count / 2]
        }

        var regimeCounts: String {
            guard !regimes.isEmpty else { return "no softmax regimes recorded" }
            var counts: [String: Int] = [:]
            for i in affected where i < regimes.count { counts[regimes[i], default: 0] += 1 }
            return "float32 softmax regime of the affected samples: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
    }

    func f(_ v: Double) -> String { Fmt.g(v) }
}
