import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Train

/// `loupe evaluate`: accuracy and loss of a checkpoint on a data set's test part (or its validation split).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Accuracy and cross-entropy of a checkpoint on held-out data.",
        discussion: """
        By default the data of the checkpoint's run, on its official test part where the data set has one
        (Fashion-MNIST, CIFAR-10, synthetic), else on the run's validation split.
        Examples:
          loupe evaluate --checkpoint runs/fm/checkpoints/epoch-0010.h5
          loupe evaluate --checkpoint runs/fm/checkpoints/epoch-0010.h5 --json
        """)

    @Option(help: "A checkpoint (RUN_DIR/checkpoints/epoch-NNNN.h5).") var checkpoint: String
    @Option(help: "Evaluate on this data spec instead of the run's.") var data: String?
    @Option(help: "Batch size.") var batchSize = 64
    @Option(help: "Compute threads.") var threads = 2
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard batchSize >= 1, threads >= 1 else { throw ValidationError("--batch-size and --threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let ckpt = try Checkpoint.read(checkpoint)
            let model = try Model(checkpoint: ckpt)
            model.threads = threads
            let runDir = URL(fileURLWithPath: checkpoint).deletingLastPathComponent().deletingLastPathComponent().path
            var config = (try? RunDirectory(runDir).readConfig()) ?? TrainConfig()
            if let data { config.data = data }
            config.imageSize = ckpt.imageSize
            let spec = try DataSpec(parsing: config.data)
            let runData = try RunData(config: config)
            let (dataset, indices, part): (any Dataset, [Int], String) = spec.hasTestPart
                ? try { let d = try spec.open(part: .test); return (d, Array(0..<d.count), "test") }()
                : (runData.dataset, runData.split.validation, "validation")
            guard dataset.classes == ckpt.classes else {
                throw LoupeError.invalidInput("the data's classes differ from the checkpoint's; evaluate on data with the same classes")
            }
            let transform = Preprocessor(outputSize: ckpt.imageSize, normalization: runData.normalization, outputChannels: dataset.channels)
            let loader = try BatchLoader(dataset: dataset, indices: indices, batchSize: batchSize, transform: transform, seed: 0, shuffle: false)
            let stream = loader.epoch(0)
            var correct = 0, seen = 0, lossSum = 0.0
            let bar = ProgressBar("evaluate", total: indices.count)
            while let batch = try stream.next() {
                let logits = try model.forward(batch.input, mode: .eval)
                let (loss, _) = try softmaxCrossEntropy(logits: logits, labels: batch.labels)
                lossSum += Double(loss) * Double(batch.labels.count)
                let k = logits.shape[1]
                for (i, y) in batch.labels.enumerated() {
                    let row = logits.storage[(i * k)..<((i + 1) * k)]
                    if row.indices.max(by: { row[$0] < row[$1] }) == i * k + y { correct += 1 }
                }
                seen += batch.labels.count
                bar.advance(batch.labels.count)
            }
            bar.finish()
            let accuracy = Double(correct) / Double(max(seen, 1)), loss = lossSum / Double(max(seen, 1))
            if json {
                print("{\"part\": \"\(part)\", \"samples\": \(seen), \"accuracy\": \(accuracy), \"loss\": \(loss)}")
            } else {
                print(String(format: "%@ (%d images): accuracy %.4f, loss %.4f", part, seen, accuracy, loss))
            }
        }
    }
}
