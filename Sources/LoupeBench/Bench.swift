import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Train

/// `loupe bench`: speed of the training kernels, and a dump for the PyTorch parity check. The harness
/// is its own target so the `loupe` executable only lists it as a subcommand.
public struct Bench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Benchmarks: training kernels, PyTorch parity, HDF5 I/O, dumps, PCA and t-SNE.",
        subcommands: [TrainStep.self, Parity.self, IO.self, Dump.self, PCABench.self, TSNEBench.self, KNNBench.self, MakeFolder.self])
}

extension Bench {
    /// `loupe bench train`: images/s of a full training step and of forward-only, as train_step.py times PyTorch.
    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Images/s of a training step (forward, cross-entropy, backward, SGD momentum) and of forward-only.",
            discussion: """
            The same configurations as the PyTorch peer (shared/bench/train_step.py): random input, 10 classes,
            SGD(lr 0.01, momentum 0.9); forward-only is eval mode. Each configuration: 2 warm-up steps, then
            --repeats timed groups of steps lasting about --seconds each; the median per-step time is reported.
            Examples:
              loupe bench train
              loupe bench train --configs resnet18@224 --threads 2 --repeats 3 --json
            """)

        @Option(help: "Comma-separated model@size list.")
        var configs = "resnet18@64,resnet18@112,resnet18@224,littleconv@64,littleconv@128"
        @Option(help: "Images per step.") var batchSize = 32
        @Option(help: "Compute threads.") var threads = 2
        @Option(help: "Timed groups per measurement (median reported).") var repeats = 5
        @Option(help: "Target length of one timed group, in seconds.") var seconds = 1.0
        @Flag(help: "Skip forward-only timing.") var trainOnly = false
        @Flag(help: "Print JSON instead of a table.") var json = false
        @Flag(help: "Also print the slowest layers of a training step (ms per step, containers include children).")
        var profile = false

        struct Result: Codable {
            var model: String
            var size: Int
            var batch: Int
            var threads: Int
            var parameters: Int
            var trainMsPerStep: Double
            var trainImagesPerSecond: Double
            var trainImagesPerSecondBest: Double
            /// Process CPU (user + system) per training step: unlike wall time, it does not grow when the host
            /// steals the virtual CPUs, so it compares two builds more steadily on a shared machine.
            var trainCPUMsPerStep: Double
            var forwardMsPerBatch: Double?
            var forwardImagesPerSecond: Double?
            var minorFaultsPerTrainStep: Double
            var peakResidentMB: Double
        }

        func run() throws {
            try reportingErrors {
                guard batchSize >= 2, threads >= 1, repeats >= 1, seconds > 0 else {
                    throw LoupeError.invalidInput("need --batch-size ≥ 2, --threads ≥ 1, --repeats ≥ 1, --seconds > 0")
                }
                let parsed = try configs.split(separator: ",").map { item -> (String, Int) in
                    let parts = item.split(separator: "@")
                    guard parts.count == 2, let size = Int(parts[1]), size > 0 else {
                        throw LoupeError.invalidInput("config '\(item)' is not model@size (e.g. resnet18@224)")
                    }
                    _ = try ModelSpec.architecture(named: String(parts[0]))
                    return (String(parts[0]), size)
                }
                var results: [Result] = []
                for (name, size) in parsed {
                    let r = try measure(name, size)
                    results.append(r)
                    if !json {
                        FileHandle.standardError.write(Data(String(format: "  done %@ %d: train %.1f img/s, fwd %@ img/s\n", name, size,
                            r.trainImagesPerSecond, r.forwardImagesPerSecond.map { String(format: "%.1f", $0) } ?? "-").utf8))
                    }
                }
                if json {
                    try printJSON(results)
                } else {
                    printTable(results)
                }
            }
        }

        func measure(_ name: String, _ size: Int) throws -> Result {
            let model = try Model(name: name, numClasses: 10, seed: 0)
            model.threads = threads
            var g = SeededGenerator(seed: 1)
            let x = Tensor(shape: [batchSize, 3, size, size], storage: (0..<(batchSize * 3 * size * size)).map { _ in g.nextGaussian() })
            let labels = (0..<batchSize).map { _ in Int(g.next() % 10) }
            let optimizer = try Optimizer(parameters: model.parameters, config: OptimizerConfig(kind: .sgd, learningRate: 0.01, momentum: 0.9))
            optimizer.threads = threads
            let step = {
                model.zeroGradients()
                let logits = try model.forward(x, mode: .train)
                let (_, dLogits) = try softmaxCrossEntropy(logits: logits, labels: labels)
                try model.backward(dLogits, needParameterGradients: true, needInputGradient: false)
                optimizer.step()
            }
            var trainCPU: [Double] = []
            let train = try time(step, cpu: &trainCPU)
            if profile {
                model.layerTimes = [:]
                for _ in 0..<3 { try step() }
                let all = model.layerTimes!
                let kinds = all.filter { $0.key.hasPrefix("[") }.sorted { $0.value > $1.value }
                let times = all.filter { !$0.key.hasPrefix("[") }.sorted { $0.value > $1.value }.prefix(80)
                FileHandle.standardError.write(Data("  time by layer type, \(name)@\(size) (ms per step; containers include children):\n".utf8))
                for (key, seconds) in kinds {
                    FileHandle.standardError.write(Data(String(format: "    %8.1f  %@\n", seconds / 3 * 1e3, key).utf8))
                }
                FileHandle.standardError.write(Data("  slowest layers, \(name)@\(size) (ms per step):\n".utf8))
                for (key, seconds) in times {
                    FileHandle.standardError.write(Data(String(format: "    %8.1f  %@\n", seconds / 3 * 1e3, key).utf8))
                }
                model.layerTimes = nil
            }
            let faultsBefore = minorFaults()
            try step()
            let faults = Double(minorFaults() - faultsBefore)
            var forward: [Double]?
            if !trainOnly {
                var cpu: [Double] = []
                forward = try time({ _ = try model.forward(x, mode: .eval) }, cpu: &cpu)
            }
            let median = { (t: [Double]) in t.sorted()[t.count / 2] }
            return Result(model: name, size: size, batch: batchSize, threads: threads,
                          parameters: model.parameters.map(\.value.count).reduce(0, +),
                          trainMsPerStep: 1e3 * median(train), trainImagesPerSecond: Double(batchSize) / median(train),
                          trainImagesPerSecondBest: Double(batchSize) / train.min()!,
                          trainCPUMsPerStep: 1e3 * median(trainCPU),
                          forwardMsPerBatch: forward.map { 1e3 * median($0) },
                          forwardImagesPerSecond: forward.map { Double(batchSize) / median($0) },
                          minorFaultsPerTrainStep: faults, peakResidentMB: peakResidentMB())
        }

        /// Seconds per call: warm-up, then `repeats` groups of calls lasting about `seconds` each; `cpu` gets
        /// the process CPU seconds per call of each group.
        func time(_ body: () throws -> Void, cpu: inout [Double]) throws -> [Double] {
            try body()
            let t0 = now()
            try body()
            let once = max(now() - t0, 1e-4)
            let inner = max(1, Int(seconds / once))
            var out: [Double] = []
            for _ in 0..<repeats {
                let start = now(), cpuStart = cpuSeconds()
                for _ in 0..<inner { try body() }
                out.append((now() - start) / Double(inner))
                cpu.append((cpuSeconds() - cpuStart) / Double(inner))
            }
            return out
        }

        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }

        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

        func minorFaults() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return usage.ru_minflt
        }

        /// VmHWM: the most resident memory this process has had so far.
        func peakResidentMB() -> Double {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                  let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
            return kb / 1024
        }

        func printTable(_ results: [Result]) {
            let headers = ["model", "input", "params", "train ms/step", "train img/s", "(best)", "cpu ms/step", "fwd ms/batch", "fwd img/s",
                           "faults/step", "peak RSS MB"]
            let rows = results.map { r in [
                r.model, "\(r.size)x\(r.size)", "\(r.parameters)", String(format: "%.1f", r.trainMsPerStep),
                String(format: "%.1f", r.trainImagesPerSecond), String(format: "%.1f", r.trainImagesPerSecondBest),
                String(format: "%.1f", r.trainCPUMsPerStep),
                r.forwardMsPerBatch.map { String(format: "%.1f", $0) } ?? "-",
                r.forwardImagesPerSecond.map { String(format: "%.1f", $0) } ?? "-",
                String(format: "%.0f", r.minorFaultsPerTrainStep), String(format: "%.0f", r.peakResidentMB),
            ] }
            print("batch \(batchSize), \(threads) threads, median of \(repeats) groups (peak RSS: whole process so far)")
            let widths = headers.indices.map { i in ([headers[i]] + rows.map { $0[i] }).map(\.count).max()! }
            let line = { (cells: [String]) in zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " | ") }
            print(line(headers))
            print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
            rows.forEach { print(line($0)) }
        }
    }
}

extension Bench {
    /// `loupe bench parity --out FILE`: a state dict, a batch and Loupe's outputs for scripts/parity/torch_parity.py.
    struct Parity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write weights, a batch and Loupe's logits and gradients to HDF5 for the PyTorch parity script.",
            discussion: """
            Layout: /state/<torchvision key> (float32, PyTorch shapes; num_batches_tracked int64), /input (N,C,H,W),
            /labels (int64), /logits and /input_grad (eval mode), /eval/grad/<parameter key>, and /train/logits,
            /train/input_grad, /train/grad/<key>, /train/state_after/<buffer key> from one train-mode pass on the
            same weights. Gradients are of the mean cross-entropy over the batch against /labels.
            BatchNorm weights, biases and running statistics are randomised (seeded) so eval mode is not the identity.
            Example:
              loupe bench parity --model resnet18 --image-size 64 --out /tmp/parity.h5
              ~/.venvs/peers/bin/python scripts/parity/torch_parity.py /tmp/parity.h5
            """)

        @Option(help: "littleconv or resnet18.") var model = "resnet18"
        @Option(help: "Square input size.") var imageSize = 64
        @Option(help: "Images in the batch.") var batchSize = 4
        @Option(help: "Classes.") var classes = 10
        @Option(help: "Input channels.") var inputChannels = 3
        @Flag(help: "ResNet-18 with the 3×3 stride-1 stem and no max pool.") var smallInput = false
        @Option(help: "Seed for weights and data.") var seed: UInt64 = 1
        @Option(help: "Compute threads.") var threads = 2
        @Option(help: "Output HDF5 file.") var out: String

        func run() throws {
            try reportingErrors {
                let spec = ModelSpec(architecture: try ModelSpec.architecture(named: model), numClasses: classes,
                                     inputChannels: inputChannels, smallInput: smallInput)
                let net = try Model(spec: spec, seed: seed)
                net.threads = threads
                var g = SeededGenerator(seed: seed &+ 1)
                randomizeBatchNorm(net, &g)
                let state = net.stateDict()
                let integerKeys = net.integerStateKeys
                let shape = [batchSize, inputChannels, imageSize, imageSize]
                let x = Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in g.nextGaussian() })
                let labels = (0..<batchSize).map { _ in Int(g.next() % UInt64(classes)) }

                let evalLogits = try net.forward(x, mode: .eval)
                net.zeroGradients()
                let evalInputGrad = try net.backward(try softmaxCrossEntropy(logits: evalLogits, labels: labels).dLogits,
                                                     needParameterGradients: true)
                let evalGrads = net.parameters.map { ($0.name, $0.grad) }

                net.zeroGradients()
                let trainLogits = try net.forward(x, mode: .train)
                let trainInputGrad = try net.backward(try softmaxCrossEntropy(logits: trainLogits, labels: labels).dLogits,
                                                      needParameterGradients: true)
                let trainGrads = net.parameters.map { ($0.name, $0.grad) }
                let after = net.buffers.map { ($0.name, $0.value) }

                try HDF5File.writeAtomically(out) { file in
                    for (key, t) in state {
                        if integerKeys.contains(key) {
                            try file.write("state/" + key, t.storage.map { Int64($0) }, shape: t.shape)
                        } else {
                            try file.write("state/" + key, t.storage, shape: t.shape)
                        }
                    }
                    try file.write("input", x.storage, shape: x.shape)
                    try file.write("labels", labels.map(Int64.init), shape: [batchSize])
                    try file.write("logits", evalLogits.storage, shape: evalLogits.shape)
                    let note = HDF5AttributeValue.string("gradient of the mean cross-entropy over the batch (labels /labels) w.r.t. /input")
                    try file.write("input_grad", evalInputGrad.storage, shape: x.shape).setAttribute("description", note)
                    for (key, t) in evalGrads { try file.write("eval/grad/" + key, t.storage, shape: t.shape) }
                    try file.write("train/logits", trainLogits.storage, shape: trainLogits.shape)
                    try file.write("train/input_grad", trainInputGrad.storage, shape: x.shape).setAttribute("description", note)
                    for (key, t) in trainGrads { try file.write("train/grad/" + key, t.storage, shape: t.shape) }
                    for (key, t) in after {
                        if integerKeys.contains(key) {
                            try file.write("train/state_after/" + key, t.storage.map { Int64($0) }, shape: t.shape)
                        } else {
                            try file.write("train/state_after/" + key, t.storage, shape: t.shape)
                        }
                    }
                    try file.setAttribute("model", .string(net.name))
                    try file.setAttribute("image_size", .int(Int64(imageSize)))
                    try file.setAttribute("classes", .int(Int64(classes)))
                    try file.setAttribute("input_channels", .int(Int64(inputChannels)))
                    try file.setAttribute("small_input", .int(smallInput ? 1 : 0))
                    try file.setAttribute("channels", .ints(spec.channels.map(Int64.init)))
                    try file.setAttribute("seed", .int(Int64(seed)))
                    try file.setAttribute("loss", .string("mean cross-entropy over the batch against /labels"))
                }
                print("wrote \(out): \(net.name), batch \(batchSize)×\(inputChannels)×\(imageSize)×\(imageSize), \(state.count) state entries")
            }
        }

        /// BatchNorm γ ∈ [0.5, 1.5), β ~ N(0, 0.1²), running mean ~ N(0, 0.1²), running var ∈ [0.5, 2), num_batches_tracked 7.
        func randomizeBatchNorm(_ net: Model, _ g: inout SeededGenerator) {
            var values: [String: Tensor] = [:]
            for (key, t) in net.stateDict() {
                var v = t
                if key.hasSuffix("running_mean") || (key.hasSuffix(".bias") && !key.hasPrefix("fc.")) {
                    v.storage = v.storage.map { _ in 0.1 * g.nextGaussian() }
                } else if key.hasSuffix("running_var") {
                    v.storage = v.storage.map { _ in 0.5 + 1.5 * g.nextFloat() }
                } else if key.hasSuffix(".weight") && t.rank == 1 {
                    v.storage = v.storage.map { _ in 0.5 + g.nextFloat() }
                } else if key.hasSuffix("num_batches_tracked") {
                    v.storage = [7]
                }
                values[key] = v
            }
            try! net.load(stateDict: values)
        }
    }
}

/// Prints `value` as pretty, key-sorted JSON on stdout: the `--json` output of the bench commands.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
