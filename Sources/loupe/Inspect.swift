import ArgumentParser
import CLISupport
import Foundation
import LoupeCore

/// `loupe inspect FILE`: a readable tree of any HDF5 file (run files, checkpoints, results).
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the groups, datasets (shape, dtype, chunks, compression) and attributes of an HDF5 file.",
        discussion: """
        Examples:
          loupe inspect runs/demo/scratch/checkpoints/epoch-0008.h5
          loupe inspect --json runs/demo/scratch/dumps/epoch-0000.h5 > tree.json
        """)

    @Argument(help: "An HDF5 file: a checkpoint, a dump, an analyzer's result.h5, or any other.")
    var file: String

    @Flag(help: "Print JSON (the same tree) for machines.")
    var json = false

    func run() throws {
        try reportingErrors {
            let h5 = try HDF5File.open(file)
            let tree = try HDF5Tree(file: h5)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(tree), as: UTF8.self))
            } else {
                print(tree.rendered())
            }
        }
    }
}
