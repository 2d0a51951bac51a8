import Analyzers
import Foundation
import LoupeCore
import Train

/// Every analysis the demo report draws on: the side-by-side comparison, t-SNE at the study's two
/// perplexities, Grad-CAM over epochs on a layer fine enough to score, and the zero-gradient detector on
/// the last epoch with the `logit` and `prob` targets.
struct DemoAnalyses {
    var plan: DemoPlan
    var out: String
    var runs: [String: String]
    var probes: [String: [String: String]]
    var quiet: Bool

    static let runOrder = ["scratch", "pretrained"]

    struct Result {
        var comparison: Comparison.Record
        var tsne: [String: [Int: AnalyzerRunner.Record]] = [:]        // run → perplexity → record
        var gradcam: [String: AnalyzerRunner.Record] = [:]             // run → record
        var gradcamLayer: [String: String] = [:]
        var zeroGrad: [String: [String: AnalyzerRunner.Record]] = [:]  // run → logit / prob-float16 / prob-float32 → record
        var perplexities: [Int] = []
    }

    /// The study's perplexities, lowered when the probe set is too small for them (quick mode, small folders).
    var perplexities: [Int] {
        let count = (try? probeCount()) ?? plan.probeSize
        let limit = max((count - 1) / 3 - 1, 2)
        return Array(Set([20, 32].map { min($0, limit) })).sorted()
    }

    func run() throws -> Result {
        let ordered = DemoAnalyses.runOrder.compactMap { name in runs[name].map { (name, $0) } }
        let p = perplexities
        let comparison = try Comparison(runs: ordered.map(\.1), epoch: .last, analyzers: [PCAAnalyzer.id, TSNEAnalyzer.id, PurityAnalyzer.id, CKAAnalyzer.id],
                                        options: ["\(TSNEAnalyzer.id).perplexity=\(p[0])"], out: out + "/compare", quiet: quiet).run()
        var result = Result(comparison: comparison, perplexities: p)
        let runner = AnalyzerRunner(quiet: quiet)
        for (name, folder) in ordered {
            let run = RunDirectory(folder)
            let dumps = run.dumpEpochs().map { run.dumpPath(epoch: $0) }
            let last = dumps.last!
            for perplexity in p {
                if perplexity == p[0], let r = comparison.results[comparison.runs.first { $0.folder == folder }?.name ?? ""]?[TSNEAnalyzer.id] {
                    result.tsne[name, default: [:]][perplexity] = r
                    continue
                }
                result.tsne[name, default: [:]][perplexity] = try runner.run(TSNEAnalyzer(), files: [last], options: ["perplexity": String(perplexity)],
                                                                          out: out + "/\(name)/\(TSNEAnalyzer.id)-perplexity-\(perplexity)")
            }
            let layer = try camLayer(for: folder)
            result.gradcamLayer[name] = layer
            result.gradcam[name] = try runner.run(GradCAMAnalyzer(), files: dumps, options: ["layers": layer, "samples": "8"],
                                                  out: out + "/\(name)/\(GradCAMAnalyzer.id)")
            for (key, path) in (probes[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                result.zeroGrad[name, default: [:]][key] = try runner.run(ZeroGradAnalyzer(), files: [path], options: [:],
                                                                          out: out + "/\(name)/\(ZeroGradAnalyzer.id)-\(key)")
            }
        }
        return result
    }

    /// Images in the probe set the runs actually got (fewer than asked when the held-out split is small).
    func probeCount() throws -> Int {
        guard let folder = runs[DemoAnalyses.runOrder[0]], let epoch = RunDirectory(folder).dumpEpochs().last else { return plan.probeSize }
        return try HDF5File.open(RunDirectory(folder).dumpPath(epoch: epoch)).dataset("/probe/labels").shape[0]
    }

    /// The Grad-CAM layer of a run folder (`DemoPlan.camLayer`).
    func camLayer(for folder: String) throws -> String {
        plan.camLayer(for: try RunDirectory(folder).readConfig())
    }
}

extension DemoAnalyses.Result {
    /// The findings' typed per-sample evidence, read back from what the analyzers stored.
    /// - Throws: naming the file and key when an analyzer's output lacks what a finding needs.
    public func evidence() throws -> StudyEvidence {
        var evidence = StudyEvidence()
        for run in DemoAnalyses.runOrder {
            if let purity = comparison.results[run]?[PurityAnalyzer.id] {
                evidence.clustering[run] = try StudyEvidence.Clustering(folder: purity.folder)
            }
            if let cam = gradcam[run], let attention = try StudyEvidence.Attention(folder: cam.folder) {
                evidence.attention[run] = attention
            }
            if let records = zeroGrad[run] {
                if let prob = records["prob-float16"] {
                    let heldOut = try StudyEvidence.Gradients(probFloat16: prob.folder, probFloat32: records["prob-float32"]?.folder,
                                                              logit: records["logit"]?.folder, layer: gradcamLayer[run])
                    evidence.gradients[run] = heldOut
                    evidence.heldOutGradients[run] = heldOut
                }
                // (d) rests on the training images when they were probed.
                if let prob = records["train-prob-float16"] {
                    evidence.gradients[run] = try StudyEvidence.Gradients(probFloat16: prob.folder, probFloat32: records["train-prob-float32"]?.folder,
                                                                          logit: records["train-logit"]?.folder, layer: gradcamLayer[run],
                                                                          images: "training images")
                }
            }
        }
        return evidence
    }
}
