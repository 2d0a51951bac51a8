import Foundation
import LoupeCore
import Testing
@testable import Study

/// Hand-made per-sample evidence: no training, no analyzer run.
enum Make {
    /// n indicators of which the first `ones` are true.
    static func flags(_ n: Int, ones: Int) -> [Bool] { (0..<n).map { $0 < ones } }

    /// A run's clustering with `classHits` of n correct by class and `colourHits` by colour.
    static func clustering(n: Int = 200, classHits: Int, colourHits: Int, nmiClass: Double, nmiColour: Double, shift: Int = 0) -> StudyEvidence.Clustering {
        // Scatter the correct rows, shifted per run, so two runs' indicators are not nested.
        let byClass = (0..<n).map { ($0 * 37 + shift) % n < classHits }
        let byColour = (0..<n).map { ($0 * 53 + shift) % n < colourHits }
        let facts = PurityFacts(samples: n, byClass: .init(knnAccuracy: Double(classHits) / Double(n), nmi: nmiClass),
                                byNuisance: .init(knnAccuracy: Double(colourHits) / Double(n), nmi: nmiColour), nuisance: "background colour")
        return .init(rows: Array(0..<n), correctByClass: byClass, correctByNuisance: byColour, facts: facts)
    }

    /// Energies around `first` and `first + rise`, with per-sample noise of half-width `noise`.
    static func attention(n: Int = 200, first: Double, rise: Double, noise: Double, seed: UInt64 = 1) -> StudyEvidence.Attention {
        var g = SeededGenerator(seed: seed)
        let a = (0..<n).map { _ in first + noise * (2 * g.nextDouble() - 1) }
        let b = a.map { $0 + rise + noise * (2 * g.nextDouble() - 1) }
        return .init(layer: "layer3", firstEpoch: 0, lastEpoch: 16, first: a, last: b, chance: 0.12)
    }

    /// `affected` of n samples all zero at the last epoch with the prob target, in `regime`; the logit target has `logitAffected`.
    static func gradients(n: Int = 200, affected: Int, regime: String, logitAffected: Int = 0) -> StudyEvidence.Gradients {
        let hit = flags(n, ones: affected)
        return .init(layer: "layer3", epoch: 16, probFloat16: .init(allZero: hit, vanishing: flags(n, ones: 0)),
                     probFloat32: .init(allZero: flags(n, ones: 0), vanishing: hit), logit: .init(allZero: flags(n, ones: logitAffected), vanishing: flags(n, ones: 0)),
                     regimes: (0..<n).map { $0 < affected ? regime : "normal" }, margins: (0..<n).map { $0 < affected ? 40 : 1 },
                     diagnosis: "softmax-saturation", diagnosisTitle: "Softmax saturation")
    }

    static func findings(_ evidence: StudyEvidence) -> DemoFindings { DemoFindings(evidence: evidence, bootstrap: Bootstrap(seed: 0, resamples: 1000)) }
}

@Suite("the study's findings on hand-made evidence")
struct FindingsTests {
    @Test("the verdict rule: holds only when the interval excludes zero on the claimed side and the effect is not negligible")
    func verdictRule() {
        #expect(DemoFindings.verdict(Interval(estimate: 0.1, lower: 0.05, upper: 0.15, samples: 100)) == .holds)
        #expect(DemoFindings.verdict(Interval(estimate: 0.1, lower: -0.01, upper: 0.2, samples: 100)) == .notShown)  // straddles zero
        #expect(DemoFindings.verdict(Interval(estimate: -0.1, lower: -0.2, upper: -0.02, samples: 100)) == .contradicted)
        #expect(DemoFindings.verdict(Interval(estimate: 0.0001, lower: 0.0001, upper: 0.0001, samples: 100)) == .notShown)  // too small to count
    }

    @Test("(c) a 0.0001 rise is not shown: neither with per-sample noise (interval straddles zero) nor without (negligible)")
    func tinyRise() throws {
        for noise in [0.05, 0.0] {
            let evidence = StudyEvidence(attention: ["scratch": Make.attention(first: 0.1471, rise: 0.0001, noise: noise),
                                                     "pretrained": Make.attention(first: 0.14, rise: 0.2, noise: 0.05, seed: 2)])
            let c = Make.findings(evidence).attention()
            #expect(c.verdict == .notShown, "noise \(noise): \(c.line)")
            let e = try #require(c.effect)
            #expect(abs(e.interval.estimate - 0.0001) < 0.01)
            if noise > 0 { #expect(e.interval.lower < 0 && e.interval.upper > 0, "\(e.interval)") }
        }
    }

    @Test("(c) rests on the scratch net: its clear rise holds; the ResNet's flat attention is reported but does not decide")
    func attentionRestsOnScratch() throws {
        let evidence = StudyEvidence(attention: ["scratch": Make.attention(first: 0.14, rise: 0.16, noise: 0.1),
                                                 "pretrained": Make.attention(first: 0.1471, rise: 0.0001, noise: 0.05, seed: 3)])
        let c = Make.findings(evidence).attention()
        #expect(c.verdict == .holds, "\(c.line)")
        #expect(c.effect?.what.contains("scratch") == true)
        #expect(c.line.contains("95 % CI") && c.line.contains("pretrained"), "\(c.line)")
        #expect(c.text.contains("pretrained") && c.text.contains("not shown"), "\(c.text)")
        // A fall of the scratch net's attention contradicts the finding.
        let fall = StudyEvidence(attention: ["scratch": Make.attention(first: 0.3, rise: -0.1, noise: 0.05)])
        #expect(Make.findings(fall).attention().verdict == .contradicted)
        // No object regions: not measurable.
        #expect(Make.findings(StudyEvidence()).attention().verdict == .notMeasurable)
    }

    @Test("(c) samples with an empty map at either epoch are left out of the paired rise, and said so")
    func emptyMaps() throws {
        var a = Make.attention(n: 50, first: 0.1, rise: 0.2, noise: 0.02)
        a.first[0] = .nan
        a.last[1] = .nan
        let c = Make.findings(StudyEvidence(attention: ["scratch": a])).attention()
        #expect(c.effect?.interval.samples == 48)
        #expect(c.text.contains("2 samples with an empty map"))
    }

    @Test("(a) an interval that straddles zero is not shown")
    func straddles() throws {
        // 101 vs 100 correct of 200: a difference of 0.005, far inside the noise of 200 samples.
        let evidence = StudyEvidence(clustering: ["pretrained": Make.clustering(classHits: 101, colourHits: 30, nmiClass: 0.4, nmiColour: 0.1),
                                                  "scratch": Make.clustering(classHits: 100, colourHits: 120, nmiClass: 0.3, nmiColour: 0.4, shift: 71)])
        let a = Make.findings(evidence).classClusters()
        let i = try #require(a.effect?.interval)
        #expect(i.lower < 0 && i.upper > 0, "\(i)")
        #expect(a.verdict == .notShown)
        #expect(!a.holds)
    }

    @Test("(a) k-NN and NMI disagreeing is reported, and the verdict rests on k-NN")
    func metricsDisagree() throws {
        // k-NN: pretrained clearly ahead; NMI: scratch ahead (the seed-0 numbers had it the other way round).
        let evidence = StudyEvidence(clustering: ["pretrained": Make.clustering(classHits: 160, colourHits: 30, nmiClass: 0.285, nmiColour: 0.1),
                                                  "scratch": Make.clustering(classHits: 90, colourHits: 130, nmiClass: 0.372, nmiColour: 0.4)])
        let a = Make.findings(evidence).classClusters()
        #expect(a.verdict == .holds, "\(a.line)")
        #expect(abs((a.effect?.interval.estimate ?? 0) - 0.35) < 1e-12)
        #expect(a.text.contains("disagree"), "\(a.text)")
        #expect(a.line.contains("(disagrees)"), "\(a.line)")
        #expect(a.rule.contains("10-NN"))
        #expect(a.numbers["nmi_class_scratch"] == 0.372 && a.numbers["knn_class_pretrained"] == 0.8)
        // When they agree, nothing is said about disagreement.
        let agree = StudyEvidence(clustering: ["pretrained": Make.clustering(classHits: 160, colourHits: 30, nmiClass: 0.5, nmiColour: 0.1),
                                               "scratch": Make.clustering(classHits: 90, colourHits: 130, nmiClass: 0.3, nmiColour: 0.4)])
        let b = Make.findings(agree).classClusters()
        #expect(!b.text.contains("disagree") && !b.line.contains("disagree"))
    }

    @Test("(a) pretrained worse than scratch by k-NN is contradicted")
    func contradicted() {
        let evidence = StudyEvidence(clustering: ["pretrained": Make.clustering(classHits: 86, colourHits: 30, nmiClass: 0.372, nmiColour: 0.1),
                                                  "scratch": Make.clustering(classHits: 140, colourHits: 130, nmiClass: 0.285, nmiColour: 0.4)])
        #expect(Make.findings(evidence).classClusters().verdict == .contradicted)
    }

    @Test("(b) scratch clustered by colour far more than pretrained holds; the line carries effect and interval")
    func colour() throws {
        let evidence = StudyEvidence(clustering: ["pretrained": Make.clustering(classHits: 160, colourHits: 25, nmiClass: 0.5, nmiColour: 0.05),
                                                  "scratch": Make.clustering(classHits: 90, colourHits: 130, nmiClass: 0.3, nmiColour: 0.4)])
        let b = Make.findings(evidence).colourClusters()
        #expect(b.verdict == .holds)
        #expect(b.line.hasPrefix("(b) holds: 10-NN accuracy by background colour, scratch − pretrained +0.525 (95 % CI "), "\(b.line)")
        // Without nuisance groups (b) cannot be measured.
        var pre = evidence.clustering["pretrained"]!, scr = evidence.clustering["scratch"]!
        pre.correctByNuisance = nil
        scr.correctByNuisance = nil
        #expect(Make.findings(StudyEvidence(clustering: ["pretrained": pre, "scratch": scr])).colourClusters().verdict == .notMeasurable)
    }

    @Test("(d) holds when saturated samples lose their prob gradients and the logit target keeps them; regimes are counted")
    func saturationHolds() throws {
        let d = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 40, regime: "rounded"),
                                                       "scratch": Make.gradients(affected: 0, regime: "normal")])).saturation()
        #expect(d.verdict == .holds, "\(d.line)")
        let e = try #require(d.effect)
        #expect(e.isShare && abs(e.interval.estimate - 0.2) < 1e-12)
        #expect(e.interval.lower > 0.1 && e.interval.upper < 0.3)
        #expect(d.numbers["regime_rounded_pretrained"] == 40 && d.numbers["regime_shrunk_pretrained"] == 0)
        #expect(d.line.contains("40 rounded") && d.line.contains("float16 40 zero"), "\(d.line)")
        #expect(d.text.contains("stored as float32: 0 all zero, 40 vanishing"), "\(d.text)")
    }

    @Test("(d) zero gradients the softmax does not explain contradict it; none at all, or the logit target affected alike, is not shown")
    func saturationOtherwise() {
        let unexplained = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 40, regime: "normal")])).saturation()
        #expect(unexplained.verdict == .contradicted, "\(unexplained.line)")
        let none = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 0, regime: "normal")])).saturation()
        #expect(none.verdict == .notShown)
        #expect(none.effect?.interval.upper == 0)
        let one = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 1, regime: "rounded")])).saturation()
        #expect(one.verdict == .notShown, "a single sample of 200 is within the noise: \(one.line)")
        let logitToo = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 40, regime: "exact-zero", logitAffected: 40)])).saturation()
        #expect(logitToo.verdict == .notShown, "\(logitToo.line)")
        #expect(logitToo.text.contains("does not remove them"))
        // The verdict rests on the fine-tuned ResNet: saturation in the scratch run alone is reported, not counted.
        let scratchOnly = Make.findings(StudyEvidence(gradients: ["pretrained": Make.gradients(affected: 0, regime: "normal"),
                                                                  "scratch": Make.gradients(affected: 40, regime: "rounded")])).saturation()
        #expect(scratchOnly.verdict == .notShown)
        #expect(scratchOnly.text.contains("**scratch**"))
    }

    @Test("(d) rests on the training images when they were probed, and reports the held-out probe images beside them")
    func saturationOnTrainingImages() {
        var training = Make.gradients(affected: 40, regime: "rounded")
        training.images = "training images"
        let heldOut = Make.gradients(affected: 2, regime: "rounded")
        let d = Make.findings(StudyEvidence(gradients: ["pretrained": training], heldOutGradients: ["pretrained": heldOut])).saturation()
        #expect(d.verdict == .holds, "\(d.line)")
        #expect(d.rule.contains("probed on training images"), "\(d.rule)")
        #expect(d.text.contains("40 of 200 training images") && d.text.contains("on the held-out probe images 2 of 200"), "\(d.text)")
        #expect(d.numbers["held_out_prob_affected_pretrained"] == 2)
        // The held-out set alone decides nothing here: 2 of 200 is within the noise.
        #expect(Make.findings(StudyEvidence(gradients: ["pretrained": heldOut])).saturation().verdict == .notShown)
    }

    @Test("every finding's terminal line is one line without markdown, with its effect and interval")
    func lines() {
        let evidence = StudyEvidence(
            clustering: ["pretrained": Make.clustering(classHits: 160, colourHits: 25, nmiClass: 0.5, nmiColour: 0.05),
                         "scratch": Make.clustering(classHits: 90, colourHits: 130, nmiClass: 0.3, nmiColour: 0.4)],
            attention: ["scratch": Make.attention(first: 0.14, rise: 0.16, noise: 0.1), "pretrained": Make.attention(first: 0.14, rise: 0.0, noise: 0.1)],
            gradients: ["pretrained": Make.gradients(affected: 40, regime: "rounded")])
        let all = Make.findings(evidence).all()
        #expect(all.map(\.letter) == ["a", "b", "c", "d"])
        for f in all {
            #expect(!f.line.contains("\n") && !f.line.contains("**"), "\(f.line)")
            #expect(f.line.contains("95 % CI"), "\(f.line)")
        }
    }
}
