import ArgumentParser
import CKernels
import Foundation
import LoupeBench
import LoupeCore

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
        if let command = CommandLine.arguments.dropFirst().first, computeCommands.contains(command) { warnAboutForcedBLASCore() }
        main(nil)
    }

    /// The subcommands whose time goes into matrix products.
    static let computeCommands: Set<String> = ["demo", "train", "probe", "evaluate", "analyze", "compare", "bench"]

    /// Says so on stderr when OPENBLAS_CORETYPE makes OpenBLAS slower than this CPU allows.
    static func warnAboutForcedBLASCore() {
        let bits: Int
        switch loupe_isa_supported() {
        case LOUPE_ISA_AVX512: bits = 512
        case LOUPE_ISA_AVX2: bits = 256
        default: bits = 128
        }
        let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        if let warning = BLAS.coreWarning(core: BLAS.coreName, forced: forced, cpuVectorBits: bits) {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
    }
}
