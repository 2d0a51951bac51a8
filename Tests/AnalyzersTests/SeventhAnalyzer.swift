import LoupeCore
@testable import Analyzers

/// A seventh analyzer, written the way a contributor adds one: this file (its "folder") and one line
/// in a registry. Nothing in Comparison, Analyze or the reports knows it; PresentationTests checks that
/// it still gets a headline, compare columns and a place in `loupe analyzers --json`.
struct ProbeBalanceAnalyzer: Analyzer {
    static let id = "probe-balance"
    var id: String { Self.id }
    let summary = "How balanced the probe set's classes are"
    let arity = InputArity.one
    var requirements: [Requirement] { [Requirement(RunFormat.Dump.labels, producer: "the probe labels")] }
    var options: [OptionSpec] { [] }
    var artifacts: [Artifact] { [] }

    struct Summary: AnalyzerSummary {
        var samples: Int
        var classes: Int
        /// Share of the probe set in its largest class.
        var largestShare: Double

        enum CodingKeys: String, CodingKey { case samples, classes, largestShare = "largest_share" }
    }

    func headline(_ s: Summary) -> [String] { ["\(s.samples) samples in \(s.classes) classes, largest \(Fmt.percent(s.largestShare))"] }

    var compareColumns: [CompareColumn<Summary>] {
        [.number("probe samples", help: "samples in the probe set") { Double($0.samples) },
         .number("largest class share", .lowerIsBetter, help: "share of the probe set in its largest class") { $0.largestShare }]
    }

    func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        let labels = try inputs.dumps[0].labels()
        var counts: [Int: Int] = [:]
        for l in labels { counts[l, default: 0] += 1 }
        var out = AnalyzerOutput()
        out.add(.ints("/class_counts", counts.keys.sorted().map { counts[$0]! }, "samples per class"))
        out.set("samples", .int(labels.count))
        out.set("classes", .int(counts.count))
        out.set("largest_share", .double(Double(counts.values.max() ?? 0) / Double(max(labels.count, 1))))
        return out
    }
}

/// An analyzer whose summary lacks a key its declared type needs (a rename gone wrong).
struct MisnamedSummaryAnalyzer: Analyzer {
    var id: String { "misnamed" }
    let summary = "Returns a summary its type cannot read"
    let arity = InputArity.one
    var requirements: [Requirement] { [Requirement(RunFormat.Dump.labels, producer: "the probe labels")] }
    var options: [OptionSpec] { [] }
    var artifacts: [Artifact] { [] }
    typealias Summary = ProbeBalanceAnalyzer.Summary

    func run(inputs: AnalyzerInputs, options: AnalyzerOptions) throws -> AnalyzerOutput {
        var out = AnalyzerOutput()
        out.set("samples", .int(1))
        out.set("classes", .int(1))
        out.set("largest_class_share", .double(1))  // the type reads `largest_share`
        return out
    }
}
