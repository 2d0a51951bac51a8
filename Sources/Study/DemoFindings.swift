import Analyzers
import Foundation

/// The report's four findings, each an effect size with a bootstrap interval over probe samples and a
/// verdict computed from it, never written in advance.
///
/// Verdict rule, the same for every finding: it **holds** when the 95 % interval lies wholly on the
/// claimed side of zero and the estimate is at least `smallestEffect` (one percentage point: a 0.0001 rise
/// is no rise, however tight its interval); it is **contradicted** when the interval lies wholly on the
/// other side; otherwise it is **not shown**. Each finding says which run and which metric it rests on.
public struct DemoFindings {
    /// What a finding concluded.
    public enum Verdict: String, Codable, Sendable, CustomStringConvertible {
        case holds
        case notShown = "not shown"
        case contradicted
        case notMeasurable = "not measurable"

        public var description: String { rawValue }
    }

    /// The effect a verdict rests on: what is measured, on which run, and its interval.
    public struct Effect: Sendable {
        /// E.g. "10-NN accuracy by class, pretrained − scratch".
        public var what: String
        public var interval: Interval
        /// Shown as a percentage (shares) rather than a signed difference.
        public var isShare = false

        /// "+0.121 (95 % CI +0.082 to +0.160, n = 256)".
        public func formatted(level: Double) -> String {
            let i = interval
            return "\(format(i.estimate)) (\(Int((level * 100).rounded())) % CI \(format(i.lower)) to \(format(i.upper)), n = \(i.samples))"
        }

        func format(_ v: Double) -> String { isShare ? String(format: "%.1f %%", 100 * v) : String(format: "%+.3f", v) }
    }

    public struct Finding: Sendable {
        public var letter: String
        public var question: String
        public var verdict: Verdict
        /// The effect the verdict rests on; nil when not measurable.
        public var effect: Effect?
        /// The verdict rule of this finding, in words.
        public var rule: String
        /// Markdown for the report: every number, what the verdict rests on, disagreements.
        public var text: String
        /// A short addition to the terminal line (the other run, the other metric).
        public var also: String = ""
        public var numbers: [String: Double]
        /// Interval coverage, for formatting.
        public var level = 0.95

        public var holds: Bool { verdict == .holds }
        public var measurable: Bool { verdict != .notMeasurable }

        /// One terminal line: the verdict, the effect with its interval, and the short addition.
        public var line: String {
            let text = effect.map { "\($0.what) \($0.formatted(level: level))" + (also.isEmpty ? "" : "; " + also) } ?? also
            return "(\(letter)) \(verdict): " + text.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "*", with: "")
        }
    }

    public var evidence: StudyEvidence
    /// The nuisance attribute, as the report names it ("background colour", "mean intensity").
    public var nuisance: String
    public var bootstrap: Bootstrap

    /// The smallest effect that counts (differences of accuracies, energy shares and sample shares alike).
    public static let smallestEffect = 0.01
    /// (c) rests on this run; (d) on `saturationRun`.
    public static let attentionRun = "scratch"
    public static let saturationRun = "pretrained"
    /// Float32 regimes of the output layer that count as softmax saturation.
    public static let saturatedRegimes: Set<String> = ["shrunk", "rounded", "exact-zero"]

    public init(evidence: StudyEvidence, nuisance: String = "background colour", bootstrap: Bootstrap) {
        self.evidence = evidence
        self.nuisance = nuisance
        self.bootstrap = bootstrap
    }

    public func all() -> [Finding] { [classClusters(), colourClusters(), attention(), saturation()] }

    /// The verdict of an effect claimed to be positive.
    public static func verdict(_ interval: Interval, smallest: Double = smallestEffect) -> Verdict {
        if interval.lower > 0 && interval.estimate >= smallest { return .holds }
        if interval.upper < 0 { return .contradicted }
        return .notShown
    }

    static let sharedRule = "holds when the 95 % interval lies above zero and the estimate is at least \(smallestEffect); contradicted when it lies below zero; otherwise not shown"

    // MARK: - (a) and (b)

    /// Per-sample differences `first − second` of two runs' indicators over the probe rows both kept.
    static func paired(_ first: StudyEvidence.Clustering, _ second: StudyEvidence.Clustering,
                       _ pick: (StudyEvidence.Clustering) -> [Bool]?) -> [Double]? {
        guard let a = pick(first), let b = pick(second) else { return nil }
        let index = Dictionary(second.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { x, _ in x })
        return first.rows.enumerated().compactMap { i, row in index[row].map { (a[i] ? 1.0 : 0) - (b[$0] ? 1 : 0) } }
    }

    /// (a) Is the pretrained embedding better clustered by class than the scratch one? Rests on 10-NN accuracy.
    public func classClusters() -> Finding {
        let question = "Does the pretrained embedding cluster by class more than the scratch one?"
        let rule = "rests on the leave-one-out 10-NN accuracy by class, pretrained − scratch, paired over the shared probe samples; " + Self.sharedRule + ". NMI of k-means with the classes is shown beside it."
        guard let pre = evidence.clustering["pretrained"], let scr = evidence.clustering["scratch"],
              let diffs = Self.paired(pre, scr, { $0.correctByClass }), let interval = bootstrap.interval(diffs) else {
            return Finding(letter: "a", question: question, verdict: .notMeasurable, rule: rule, text: "Not measurable: the purity results of both runs are needed.",
                           also: "no purity results for both runs", numbers: [:])
        }
        let effect = Effect(what: "10-NN accuracy by class, pretrained − scratch", interval: interval)
        let knn = (pre.facts.byClass.knnAccuracy, scr.facts.byClass.knnAccuracy)
        let nmi = (pre.facts.byClass.nmi, scr.facts.byClass.nmi)
        return clusterFinding(letter: "a", question: question, rule: rule, effect: effect, knn: knn, nmi: nmi,
                              what: "better clustered by class", nmiName: "k-means NMI with the classes",
                              numbers: ["knn_class_pretrained": knn.0, "knn_class_scratch": knn.1, "nmi_class_pretrained": nmi.0, "nmi_class_scratch": nmi.1],
                              runs: ("pretrained", "scratch"))
    }

    /// (b) Is the scratch embedding more clustered by the nuisance attribute than the pretrained one?
    public func colourClusters() -> Finding {
        let question = "Does the scratch embedding cluster by \(nuisance) more than the pretrained one?"
        let rule = "rests on the leave-one-out 10-NN accuracy on the \(nuisance) groups, scratch − pretrained, paired over the shared probe samples; " + Self.sharedRule + ". NMI with the \(nuisance) groups is shown beside it."
        guard let pre = evidence.clustering["pretrained"], let scr = evidence.clustering["scratch"],
              let diffs = Self.paired(scr, pre, { $0.correctByNuisance }), let interval = bootstrap.interval(diffs) else {
            return Finding(letter: "b", question: question, verdict: .notMeasurable, rule: rule,
                           text: "Not measurable: the dumps carry no nuisance attribute (background, mean colour or images), or a run's purity result is missing.",
                           also: "no \(nuisance) groups in the dumps", numbers: [:])
        }
        let effect = Effect(what: "10-NN accuracy by \(nuisance), scratch − pretrained", interval: interval)
        let knn = (scr.facts.byNuisance?.knnAccuracy, pre.facts.byNuisance?.knnAccuracy)
        let nmi = (scr.facts.byNuisance?.nmi, pre.facts.byNuisance?.nmi)
        return clusterFinding(letter: "b", question: question, rule: rule, effect: effect, knn: knn, nmi: nmi,
                              what: "more clustered by \(nuisance)", nmiName: "NMI with the \(nuisance) groups",
                              numbers: ["knn_colour_scratch": knn.0, "knn_colour_pretrained": knn.1, "nmi_colour_scratch": nmi.0, "nmi_colour_pretrained": nmi.1],
                              runs: ("scratch", "pretrained"))
    }

    func clusterFinding(letter: String, question: String, rule: String, effect: Effect, knn: (Double?, Double?), nmi: (Double?, Double?),
                        what: String, nmiName: String, numbers: [String: Double?], runs: (String, String)) -> Finding {
        let verdict = Self.verdict(effect.interval)
        let nmiDiff = nmi.0.flatMap { a in nmi.1.map { a - $0 } }
        // The metrics disagree when their differences point different ways (a zero difference points nowhere).
        let disagree = nmiDiff.map { d in d != 0 && effect.interval.estimate != 0 && (d > 0) != (effect.interval.estimate > 0) } ?? false
        let sentence: String = switch verdict {
        case .holds: "The \(runs.0) embedding is \(what) than the \(runs.1) one"
        case .contradicted: "The opposite: the \(runs.1) embedding is \(what) than the \(runs.0) one"
        default: "Not shown that the \(runs.0) embedding is \(what) than the \(runs.1) one"
        }
        var text = "\(sentence): the paired difference of leave-one-out 10-NN accuracies is \(effect.formatted(level: bootstrap.level)) "
            + "(\(runs.0) \(f(knn.0)) vs \(runs.1) \(f(knn.1))). \(nmiName.prefix(1).uppercased() + nmiName.dropFirst()): \(runs.0) \(f(nmi.0)) vs \(runs.1) \(f(nmi.1))"
            + (nmiDiff.map { String(format: " (difference %+.3f)", $0) } ?? "") + "."
        if disagree {
            text += " **The two metrics disagree**: the NMI points the other way. The verdict rests on the k-NN accuracy, which judges each sample's neighbours directly; the NMI depends on one k-means partition."
        }
        text += " *Rule*: \(rule)"
        let also = "NMI \(runs.0) \(f(nmi.0)) vs \(runs.1) \(f(nmi.1))" + (disagree ? " (disagrees)" : "")
        return Finding(letter: letter, question: question, verdict: verdict, effect: effect, rule: rule, text: text, also: also,
                       numbers: Self.numbers(numbers, effect: effect), level: bootstrap.level)
    }

    static func numbers(_ given: [String: Double?], effect: Effect?) -> [String: Double] {
        var out = given.compactMapValues { $0 }
        if let i = effect?.interval {
            out["effect"] = i.estimate
            out["effect_ci_lower"] = i.lower
            out["effect_ci_upper"] = i.upper
            out["effect_samples"] = Double(i.samples)
        }
        return out
    }

    // MARK: - (c)

    /// Per-sample rises last − first of one run, over the samples scored at both epochs.
    static func rises(_ a: StudyEvidence.Attention) -> [Double] {
        zip(a.first, a.last).compactMap { f, l in f.isFinite && l.isFinite ? l - f : nil }
    }

    /// (c) Does Grad-CAM energy on the object rise from the first to the last dump? Rests on the scratch net.
    public func attention() -> Finding {
        let question = "Does Grad-CAM attention move onto the object over training?"
        let rule = "rests on the \(Self.attentionRun) net (its attention is learned from nothing, so the study's claim is about it), the per-sample paired rise of the share of Grad-CAM energy inside the object from the first to the last dump; "
            + Self.sharedRule + ". The pretrained ResNet's rise is reported with its interval but does not decide."
        guard !evidence.attention.isEmpty else {
            return Finding(letter: "c", question: question, verdict: .notMeasurable, rule: rule,
                           text: "Not measurable on this data: the probe set has no object boxes or masks, so there is no attention-on-object score. "
                               + "The Grad-CAM image × epoch grids above still show where each network looks.",
                           also: "no object boxes or masks in the probe set", numbers: [:])
        }
        var numbers: [String: Double?] = [:]
        var parts: [String] = []
        var effects: [String: Effect] = [:]
        for run in DemoAnalyses.runOrder {
            guard let a = evidence.attention[run] else { parts.append("\(run): no Grad-CAM result"); continue }
            let rises = Self.rises(a)
            let meanFirst = Self.mean(a.first), meanLast = Self.mean(a.last)
            numbers["energy_first_\(run)"] = meanFirst
            numbers["energy_last_\(run)"] = meanLast
            if let chance = a.chance { numbers["chance"] = chance }
            guard let interval = bootstrap.interval(rises) else { parts.append("\(run): no sample scored at both epochs"); continue }
            let effect = Effect(what: "rise of CAM energy on the object, \(run)", interval: interval)
            effects[run] = effect
            numbers["rise_\(run)"] = interval.estimate
            numbers["rise_ci_lower_\(run)"] = interval.lower
            numbers["rise_ci_upper_\(run)"] = interval.upper
            let dropped = a.first.count - rises.count
            parts.append("**\(run)** (\(a.layer)): mean energy inside \(f(meanFirst)) at epoch \(a.firstEpoch) → \(f(meanLast)) at epoch \(a.lastEpoch); "
                         + "paired rise \(effect.formatted(level: bootstrap.level)), \(Self.verdict(interval))"
                         + (dropped > 0 ? " (\(dropped) samples with an empty map at either epoch left out)" : ""))
        }
        let chance = numbers["chance"].flatMap { $0 }.map { " Chance, the object's share of the image: \(f($0))." } ?? ""
        guard let deciding = effects[Self.attentionRun] else {
            return Finding(letter: "c", question: question, verdict: .notMeasurable, rule: rule, text: parts.joined(separator: "; ") + "." + chance,
                           also: "the \(Self.attentionRun) run has no scored samples", numbers: Self.numbers(numbers, effect: nil), level: bootstrap.level)
        }
        let verdict = Self.verdict(deciding.interval)
        let sentence: String = switch verdict {
        case .holds: "Grad-CAM attention of the \(Self.attentionRun) net moves onto the object"
        case .contradicted: "Grad-CAM attention of the \(Self.attentionRun) net moves *off* the object"
        default: "Not shown that Grad-CAM attention of the \(Self.attentionRun) net moves onto the object"
        }
        let others = DemoAnalyses.runOrder.filter { $0 != Self.attentionRun }.compactMap { run in
            effects[run].map { "\(run) " + $0.format($0.interval.estimate) + " (CI " + $0.format($0.interval.lower) + " to " + $0.format($0.interval.upper) + ")" }
        }
        return Finding(letter: "c", question: question, verdict: verdict, effect: deciding, rule: rule,
                       text: "\(sentence). " + parts.joined(separator: "; ") + "." + chance + " *Rule*: \(rule)",
                       also: others.joined(separator: "; "), numbers: Self.numbers(numbers, effect: deciding), level: bootstrap.level)
    }

    // MARK: - (d)

    /// (d) With the prob target at the last epoch, which samples have zero or vanishing gradients, and does
    /// softmax saturation (confident predictions) explain them? Rests on the fine-tuned ResNet.
    public func saturation() -> Finding {
        let question = "Why did Grad-CAM gradients turn zero late in training?"
        let images = evidence.gradients[Self.saturationRun]?.images ?? "probe images"
        let rule = "rests on the fine-tuned \(Self.saturationRun) ResNet (trained to confidence without augmentation, as in the study), at the last epoch with the `prob` target stored as float16, "
            + "probed on \(images)\(images == "training images" ? " (the study looked at the images it had; the held-out probe images are shown beside)" : ""): "
            + "the share of samples whose gradient at the Grad-CAM layer is all zero or vanishing must hold by the shared rule (\(Self.sharedRule)); "
            + "at least 90 % of them must be in a saturated float32 softmax regime (shrunk, rounded or exact zero; under 50 % contradicts the explanation); "
            + "and the `logit` target must remove them (paired difference of shares, prob − logit, holds by the shared rule)."
        var parts: [String] = []
        var numbers: [String: Double?] = [:]
        var decided: (Verdict, Effect, String)?
        for run in DemoAnalyses.runOrder {
            guard let g = evidence.gradients[run] else { continue }
            let affected = g.probFloat16.affected
            let ones = affected.map { $0 ? 1.0 : 0 }
            guard let share = bootstrap.interval(ones) else { continue }
            let effect = Effect(what: "\(run): share of \(g.images) with zero or vanishing `prob` gradients at \(g.layer)", interval: share, isShare: true)
            let hit = affected.indices.filter { affected[$0] }
            let regimes = Self.counts(hit.map { $0 < g.regimes.count ? g.regimes[$0] : "unknown" })
            let saturated = hit.filter { $0 < g.regimes.count && Self.saturatedRegimes.contains(g.regimes[$0]) }.count
            let saturatedShare = hit.isEmpty ? Double.nan : Double(saturated) / Double(hit.count)
            let logitAffected = g.logit.map { $0.affected }
            let removal = logitAffected.flatMap { l in bootstrap.interval(zip(affected, l).map { ($0 ? 1.0 : 0) - ($1 ? 1 : 0) }) }
            let margins = (Self.median(hit.compactMap { $0 < g.margins.count ? g.margins[$0] : nil }),
                           Self.median(affected.indices.filter { !affected[$0] && $0 < g.margins.count }.map { g.margins[$0] }))
            numbers["prob_affected_\(run)"] = Double(hit.count)
            numbers["prob_affected_share_\(run)"] = share.estimate
            numbers["prob_affected_ci_lower_\(run)"] = share.lower
            numbers["prob_affected_ci_upper_\(run)"] = share.upper
            numbers["saturated_share_of_affected_\(run)"] = saturatedShare
            numbers["logit_affected_\(run)"] = logitAffected.map { Double($0.filter { $0 }.count) }
            numbers["median_margin_affected_\(run)"] = margins.0
            numbers["median_margin_other_\(run)"] = margins.1
            for regime in ["normal", "shrunk", "rounded", "exact-zero"] { numbers["regime_\(regime)_\(run)"] = Double(regimes[regime] ?? 0) }

            // Per storage: among the affected samples (as stored in float16), how float32 storage left them.
            let f16 = (g.probFloat16.allZero.filter { $0 }.count, g.probFloat16.vanishing.filter { $0 }.count)
            numbers["float16_all_zero_\(run)"] = Double(f16.0)
            numbers["float16_vanishing_\(run)"] = Double(f16.1)
            var storage = "stored as float16: \(f16.0) all zero, \(f16.1) vanishing"
            if let p32 = g.probFloat32 {
                let zero32 = hit.filter { $0 < p32.allZero.count && p32.allZero[$0] }.count
                let vanishing32 = hit.filter { $0 < p32.vanishing.count && p32.vanishing[$0] }.count
                let usable32 = hit.count - zero32 - vanishing32
                numbers["float32_all_zero_\(run)"] = Double(p32.allZero.filter { $0 }.count)
                numbers["float32_vanishing_\(run)"] = Double(p32.vanishing.filter { $0 }.count)
                storage += "; the same samples stored as float32: \(zero32) all zero, \(vanishing32) vanishing, \(usable32) usable (float16 flushed them)"
            }
            let regimeText = ["normal", "shrunk", "rounded", "exact-zero"].map { "\(regimes[$0] ?? 0) \($0 == "exact-zero" ? "exact zero" : $0)" }.joined(separator: ", ")
                + regimes.filter { !["normal", "shrunk", "rounded", "exact-zero"].contains($0.key) }.sorted { $0.key < $1.key }.map { ", \($0.value) \($0.key)" }.joined()

            // The verdict of this run.
            var verdict = Self.verdict(share)
            var why = ""
            if verdict == .holds {
                if !(saturatedShare >= 0.5) {
                    verdict = .contradicted
                    why = "saturation explains only \(String(format: "%.0f %%", 100 * saturatedShare)) of them"
                } else if !(saturatedShare >= 0.9) {
                    verdict = .notShown
                    why = "saturation explains only \(String(format: "%.0f %%", 100 * saturatedShare)) of them (90 % needed)"
                } else if let removal, Self.verdict(removal) != .holds {
                    verdict = .notShown
                    why = "the `logit` target does not remove them (prob − logit \(Effect(what: "", interval: removal, isShare: true).formatted(level: bootstrap.level)))"
                } else if removal == nil {
                    verdict = .notShown
                    why = "no `logit` result to check that the logit target removes them"
                }
            } else if verdict == .contradicted {
                verdict = .notShown  // a share cannot be negative; kept for symmetry
            }
            var s = "**\(run)** (epoch \(g.epoch), \(g.layer)): with the `prob` target, \(hit.count) of \(affected.count) \(g.images) have an all-zero or vanishing gradient, "
                + "a share of \(effect.formatted(level: bootstrap.level)); "
            if let held = evidence.heldOutGradients[run], held.images != g.images, let heldShare = bootstrap.interval(held.probFloat16.affected.map { $0 ? 1.0 : 0 }) {
                let heldHit = held.probFloat16.affected.filter { $0 }.count
                numbers["held_out_prob_affected_\(run)"] = Double(heldHit)
                numbers["held_out_prob_affected_share_\(run)"] = heldShare.estimate
                s += "on the \(held.images) \(heldHit) of \(held.probFloat16.affected.count) (\(Effect(what: "", interval: heldShare, isShare: true).formatted(level: bootstrap.level))); "
            }
            if !hit.isEmpty {
                s += "float32 softmax regime of those samples: \(regimeText); \(storage); "
                s += "their median logit margin \(f(margins.0)) against \(f(margins.1)) for the others; "
            }
            if let logitAffected { s += "with the `logit` target \(logitAffected.filter { $0 }.count) are affected" + (removal.map { " (prob − logit \(Effect(what: "", interval: $0, isShare: true).formatted(level: bootstrap.level)))" } ?? "") + "; " }
            s += "the detector's top diagnosis: *\(g.diagnosisTitle)*. Verdict on this run: \(verdict)" + (why.isEmpty ? "" : " (\(why))") + "."
            parts.append(s)
            if run == Self.saturationRun {
                decided = (verdict, effect, hit.isEmpty ? "no affected sample" : "float32 regimes \(regimes["shrunk"] ?? 0) shrunk / \(regimes["rounded"] ?? 0) rounded / \(regimes["exact-zero"] ?? 0) exact zero"
                           + " / \(regimes["normal"] ?? 0) normal; float16 \(f16.0) zero / \(f16.1) vanishing" + (why.isEmpty ? "" : "; " + why))
            }
        }
        guard let (verdict, effect, also) = decided else {
            return Finding(letter: "d", question: question, verdict: .notMeasurable, rule: rule,
                           text: "Not measurable: no zero-gradient results for the \(Self.saturationRun) run.", also: "no zero-grad results",
                           numbers: Self.numbers(numbers, effect: nil), level: bootstrap.level)
        }
        let sentence: String = switch verdict {
        case .holds: "Softmax saturation explains the zero gradients, and back-propagating from the logit removes them."
        case .contradicted: "Gradients vanish, but softmax saturation does not explain most of them."
        default: "Not shown that softmax saturation makes Grad-CAM gradients vanish late in training."
        }
        return Finding(letter: "d", question: question, verdict: verdict, effect: effect, rule: rule,
                       text: sentence + " " + parts.joined(separator: " ") + " *Rule*: \(rule)", also: also,
                       numbers: Self.numbers(numbers, effect: effect), level: bootstrap.level)
    }

    // MARK: - Helpers

    static func counts(_ values: [String]) -> [String: Int] { values.reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    static func mean(_ v: [Double]) -> Double? {
        let f = v.filter(\.isFinite)
        return f.isEmpty ? nil : f.reduce(0, +) / Double(f.count)
    }

    static func median(_ v: [Double]) -> Double? {
        let s = v.filter(\.isFinite).sorted()
        guard !s.isEmpty else { return nil }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    func f(_ v: Double?) -> String { v.map { Fmt.g($0) } ?? "—" }
}
