import Foundation
import LoupeCore

/// The demo's overall progress: which step, how far, and an ETA from the planned work of each step.
final class DemoSteps {
    struct Step { var title: String; var weight: Double }
    let steps: [Step]
    let quiet: Bool
    private var current = -1
    private let started = Date()
    private var stepStarted = Date()
    private var doneWeight = 0.0

    init(_ steps: [Step], quiet: Bool) {
        self.steps = steps
        self.quiet = quiet
    }

    /// Announces the next step with the whole demo's elapsed time and ETA.
    func begin(_ index: Int, note: String = "") {
        if current >= 0 { doneWeight += steps[current].weight }
        current = index
        stepStarted = Date()
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(started)
        let total = steps.map(\.weight).reduce(0, +)
        let eta = doneWeight > 0 ? elapsed / doneWeight * (total - doneWeight) : total
        let line = "\n[demo \(index + 1)/\(steps.count)] \(steps[index].title)\(note.isEmpty ? "" : " — " + note)"
            + "   (elapsed \(ProgressBar.format(seconds: elapsed)), ETA \(ProgressBar.format(seconds: eta)))\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    var elapsed: Double { Date().timeIntervalSince(started) }
}
