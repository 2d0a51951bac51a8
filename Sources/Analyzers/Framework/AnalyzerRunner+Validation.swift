import Foundation
import LoupeCore

extension AnalyzerRunner {
    /// Checks the shapes of everything an analyzer will read, all files at once: one row per probe
    /// sample everywhere, activations equal in shape to their gradients, images N×H×W×3, boxes N×4,
    /// masks the size of the images, labels inside the class list.
    func validateShapes(_ analyzer: any Analyzer, _ inputs: AnalyzerInputs) throws {
        var problems: [String] = []
        for (index, dump) in inputs.dumps.enumerated() {
            let values = inputs.resolved[index]
            var paths: [String] = []
            for requirement in analyzer.requirements {
                for alternatives in AnalyzerRunner.expand(requirement, values) { paths += alternatives.filter(dump.has) }
            }
            problems += AnalyzerRunner.shapeProblems(dump, paths: Array(Set(paths)).sorted(), layers: values["layer"] ?? [])
        }
        if !problems.isEmpty {
            throw LoupeError.invalidInput("\(analyzer.id): inconsistent inputs: " + problems.joined(separator: "; "))
        }
    }

    static func shapeProblems(_ dump: DumpFile, paths: [String], layers: [String]) -> [String] {
        var problems: [String] = []
        let file = dump.path
        let n = dump.sampleCount
        let D = RunFormat.Dump.self
        for p in paths {
            guard let s = dump.shape(p) else { continue }
            if let n, let rows = s.first, rows != n, p != D.classes {
                problems.append("\(file):\(p) has \(rows) rows but the probe set has \(n) samples")
            }
            if dump.elementType(p) == .string, ![D.ids, D.classes].contains(p) {
                problems.append("\(file):\(p) holds strings, expected numbers")
            }
            switch p {
            case D.images:
                if !(s.count == 4 && [1, 3].contains(s[3])) && s.count != 3 {
                    problems.append("\(file):\(p) has shape \(Shape.text(s)), expected N×H×W×3")
                }
            case D.box:
                if s.count != 2 || s[1] != 4 { problems.append("\(file):\(p) has shape \(Shape.text(s)), expected N×4 (x0, y0, x1, y1)") }
            case D.mask:
                if let img = dump.shape(D.images), img.count >= 3, s.count >= 3, Array(s[1...2]) != Array(img[1...2]) {
                    problems.append("\(file):\(p) is \(Shape.text(Array(s[1...])))  but the images are \(Shape.text(Array(img[1...2])))")
                } else if s.count != 3 && !(s.count == 4 && s[3] == 1) {
                    problems.append("\(file):\(p) has shape \(Shape.text(s)), expected N×H×W")
                }
            case D.logits, D.probabilities, D.embedding, D.meanRGB, D.background:
                if s.count != 2 { problems.append("\(file):\(p) has shape \(Shape.text(s)), expected 2-D (N×…)") }
                if [D.meanRGB, D.background].contains(p), s.count == 2, s[1] != 3 {
                    problems.append("\(file):\(p) has shape \(Shape.text(s)), expected N×3")
                }
            case D.labels, D.ids, D.targetValues:
                if s.count != 1 { problems.append("\(file):\(p) has shape \(Shape.text(s)), expected a vector of N") }
            default:
                if p.hasPrefix(D.activations + "/") || p.hasPrefix(D.gradients + "/"), s.count != 4 {
                    problems.append("\(file):\(p) has shape \(Shape.text(s)), expected N×C×H×W")
                }
            }
        }
        for layer in layers {
            let a = dump.shape(D.activation(layer)), g = dump.shape(D.gradient(layer))
            if let a, let g, a != g {
                problems.append("\(file): activations/\(layer) is \(Shape.text(a)) but gradients/\(layer) is \(Shape.text(g)); "
                                + "they must have the same shape (the gradient of the target with respect to that activation)")
            }
        }
        if paths.contains(D.labels), dump.has(D.classes), let labels = try? dump.labels(), let classes = try? dump.classNames() {
            if let bad = labels.first(where: { $0 < 0 || $0 >= classes.count }) {
                problems.append("\(file):\(D.labels) holds label \(bad) but \(D.classes) names \(classes.count) classes")
            }
        } else if paths.contains(D.labels), let labels = try? dump.labels(), let bad = labels.first(where: { $0 < 0 }) {
            problems.append("\(file):\(D.labels) holds the negative label \(bad)")
        }
        return problems
    }

    /// Files compared sample by sample must hold the same probe ids in the same order.
    func requireSameProbe(_ dumps: [DumpFile], analyzer: String) throws {
        try AnalyzerRunner.requireSameProbe(dumps, what: analyzer)
    }

    public static func requireSameProbe(_ dumps: [DumpFile], what: String) throws {
        guard let first = dumps.first else { return }
        let reference = try first.ids()
        for other in dumps.dropFirst() {
            let ids = try other.ids()
            if ids == reference { continue }
            if ids.count != reference.count {
                throw LoupeError.invalidInput("\(what) compares samples one to one, but \(first.path) has \(reference.count) probe samples and \(other.path) has \(ids.count): probe both with the same probe set")
            }
            let common = Set(ids).intersection(reference).count
            let firstDiff = reference.indices.first { reference[$0] != ids[$0] } ?? 0
            throw LoupeError.invalidInput("\(what) compares samples one to one, but \(first.path) and \(other.path) hold different probe sets "
                                          + "(\(common) of \(ids.count) ids shared; first difference at row \(firstDiff): '\(reference[firstDiff])' vs '\(ids[firstDiff])'); "
                                          + "probe both with the same probe set (loupe probe --probe-from RUN_DIR)")
        }
    }
}
