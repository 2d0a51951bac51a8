import ArgumentParser
import Foundation
import LoupeBench

/// The `loupe` command: one entry point, an explicit list of subcommands.
@main
struct Loupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Look inside image classifiers: train once, probe checkpoints, analyze offline.",
        discussion: """
        Examples:
          loupe demo                                  # the whole study on built-in synthetic data
          loupe inspect runs/demo/scratch/dumps/epoch-0008.h5
          loupe inspect --json checkpoint.h5 | jq .root.children
        """,
        subcommands: [DemoCommand.self, TrainCommand.self, ProbeCommand.self, EvaluateCommand.self, ExportCommand.self, Analyze.self, Compare.self, ListAnalyzers.self,
                      Inspect.self, Bench.self]
    )

    static func main() {
        // A write past `ulimit -f` (or a quota) must end in an error message, not a kill: with SIGXFSZ
        // ignored the write fails with EFBIG, which every writer reports with the file's name.
        signal(SIGXFSZ, SIG_IGN)
        main(nil)
    }
}
