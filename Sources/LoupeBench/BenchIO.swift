import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Probe
import Train

extension Bench {
    /// `loupe bench io`: HDF5 write/read MB/s of the array shared/bench/hdf5_io.py writes with h5py.
    struct IO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "io",
            abstract: "HDF5 write/read MB/s of a (512, 64, 56, 56) float32 activation array, as hdf5_io.py times h5py.",
            discussion: """
            Data: ReLU(N(0,1)) float32, about half zeros. Layouts: contiguous, written with H5Dwrite; contiguous,
            staged (an uncompressed dump's: rows copied into block-aligned memory and written past HDF5 with direct
            I/O, HDF5RowStream); chunked one sample per chunk with shuffle+deflate(4) (a compressed dump's); chunked
            with no filter. Written the rows of one --batch per call into a new file, then fsync; read back whole.
            MB = 1e6 bytes of uncompressed array.
            Examples:
              loupe bench io
              loupe bench io --samples 128 --repeats 3 --json
            """)

        @Option(help: "First dimension (512 as in hdf5_io.py).") var samples = 512
        @Option(help: "Rows per write call (a dump writes one batch, 32 by default, per call).") var batch = 32
        @Option(help: "Timed rounds per layout (median reported).") var repeats = 3
        @Option(help: "Folder for the temporary file.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON instead of a table.") var json = false

        func validate() throws {
            guard samples >= 1, repeats >= 1, batch >= 1 else { throw ValidationError("--samples, --batch and --repeats must be at least 1") }
        }

        func run() throws {
            try reportingErrors {
                let shape = [samples, 64, 56, 56], per = 64 * 56 * 56
                var rng = SeededGenerator(seed: 0)
                let data = (0..<(samples * per)).map { _ in max(0, rng.nextGaussian()) }
                let megabytes = Double(data.count * 4) / 1e6
                // The rows of each write call as their own array, built before the clock starts: a dump hands the
                // writer arrays it already has, and copying 411 MB into fresh ones inside the timing would
                // measure malloc and page faults, not HDF5.
                let batches = stride(from: 0, to: samples, by: batch).map { i in Array(data[(i * per)..<(min(samples, i + batch) * per)]) }
                let layouts: [(String, [Int]?, HDF5Compression, staged: Bool)] = [
                    ("contiguous", nil, .none, false), ("contiguous, staged", nil, .none, true),
                    ("chunked shuffle+deflate4", [1, 64, 56, 56], .deflate(level: 4, shuffle: true), false),
                    ("chunked, no filter", [1, 64, 56, 56], .none, false)]
                var rows: [[String: String]] = []
                for (name, chunk, compression, staged) in layouts {
                    var writes: [Double] = [], reads: [Double] = []
                    var size = 0, exact = true
                    for _ in 0..<repeats {
                        let path = dir + "/loupe-bench-io.h5"
                        let t0 = Date()
                        try HDF5File.writeAtomically(path) { file in
                            let d = try file.createDataset("act", type: .float32, shape: shape, chunk: chunk, compression: compression,
                                                           preallocated: staged)
                            guard staged else {
                                for (b, rows) in batches.enumerated() { try d.writeRows(start: b * batch, rows) }
                                return
                            }
                            let stream = try HDF5RowStream(file: file), staging = HDF5RowBatch()
                            for (b, rows) in batches.enumerated() {
                                staging.removeAll()
                                let piece = try staging.add(d, start: b * batch, rows: rows.count / per)
                                rows.withUnsafeBufferPointer { staging.fill(piece, elements: 0 ..< rows.count, from: $0.baseAddress!) }
                                try stream.write(staging)
                            }
                        }
                        writes.append(Date().timeIntervalSince(t0))
                        size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                        let t1 = Date()
                        let back = try HDF5File.open(path).read("act", as: Float.self)
                        reads.append(Date().timeIntervalSince(t1))
                        exact = exact && back == data
                        try? FileManager.default.removeItem(atPath: path)
                    }
                    let w = writes.sorted()[writes.count / 2], r = reads.sorted()[reads.count / 2]
                    rows.append(["layout": name, "file_MB": String(format: "%.1f", Double(size) / 1e6), "write_s": String(format: "%.2f", w),
                                 "write_MBps": String(format: "%.0f", megabytes / w), "read_s": String(format: "%.2f", r),
                                 "read_MBps": String(format: "%.0f", megabytes / r), "exact": String(exact)])
                }
                if json {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                } else {
                    print("array \(shape.map(String.init).joined(separator: "×")) float32 = \(String(format: "%.1f", megabytes)) MB")
                    print("layout                      file MB  write s  write MB/s  read s  read MB/s  exact")
                    for r in rows {
                        print("\(r["layout"]!.padding(toLength: 27, withPad: " ", startingAt: 0)) \(r["file_MB"]!.leftPad(7))  \(r["write_s"]!.leftPad(7))  \(r["write_MBps"]!.leftPad(10))  \(r["read_s"]!.leftPad(6))  \(r["read_MBps"]!.leftPad(9))  \(r["exact"]!)")
                    }
                }
            }
        }
    }

    /// `loupe bench dump`: a dump's wall time against one training epoch, on the demo's configuration.
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dump",
            abstract: "Wall time of a probe dump (defaults) against one training epoch on the synthetic demo configuration.",
            discussion: """
            Trains one epoch of each model on the demo's target set (256 training images, 64 px; 8 classes), then
            dumps the 256-image probe set with the default layers, storage and compression, and reports both times,
            the dump's MB/s, and the CPU seconds (user + system, all threads) the dump took, which other load on the
            machine inflates less than wall time. The epoch includes the pass over the 256 validation images the probe set is drawn
            from. --train-size grows the training split only (the validation split and probe set stay 256 images),
            to show at which training-set size a dump becomes a small fraction of an epoch.
            --profile follows each timed dump with its stages run one after another, each timed on its own (prepare
            images, forward, target and backward, then the HDF5 write of those rows alone), prints the medians and
            the dump's wall time over its forward + backward (median of the per-repeat ratios), and lists the
            slowest layers.
            Examples:
              loupe bench dump
              loupe bench dump --dtype float32 --compression deflate1
              loupe bench dump --models resnet18 --train-size 4096 --profile
            """)

        @Option(help: "Storage type of the dump: float16 or float32.") var dtype = "float16"
        @Option(help: "Dump compression: none or deflate[1-9].") var compression = "none"
        @Option(help: "Compute threads.") var threads = 2
        @Option(help: "Comma-separated models to measure.") var models = "littleconv,resnet18"
        @Option(help: "Training images per epoch (a multiple of 8, the number of classes); 256 is the demo's.")
        var trainSize = 256
        @Option(help: "Timed dumps per model (median reported).") var repeats = 1
        @Flag(help: "Also time the dump's stages separately (stderr).") var profile = false

        /// Validation images per class: the probe set is all of them (8 × 32 = 256).
        static let validationPerClass = 32

        func validate() throws {
            guard trainSize >= 8, trainSize % 8 == 0 else { throw ValidationError("--train-size must be a positive multiple of 8") }
            guard repeats >= 1, threads >= 1 else { throw ValidationError("--repeats and --threads must be at least 1") }
        }

        func run() throws {
            try reportingErrors {
                guard let storage = HDF5ElementType(rawValue: dtype), let packing = HDF5Compression(parsing: compression) else {
                    throw LoupeError.invalidInput("--dtype float16|float32 and --compression none|deflate[1-9]")
                }
                let names = models.split(separator: ",").map(String.init)
                for name in names { _ = try ModelSpec.architecture(named: name) }
                let folder = NSTemporaryDirectory() + "loupe-bench-dump-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: folder) }
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let direct = HDF5RowStream.directIOWorks(in: folder) ? "direct I/O" : "the page cache (no direct I/O here)"
                FileHandle.standardError.write(Data("an uncompressed dump's pixels and layers go to \(folder) through \(direct)\n".utf8))
                print("model       train  epoch s  dump s  dump/epoch  dump MB  dump MB/s  dump cpu s")
                for model in names {
                    let perClass = trainSize / 8 + Dump.validationPerClass
                    var c = TrainConfig()
                    c.model = model
                    c.data = "synthetic:split=target,per-class=\(perClass),seed=0,size=64"
                    c.validationFraction = Double(Dump.validationPerClass) / Double(perClass)
                    c.epochs = 1
                    c.threads = threads
                    c.probeSize = 256
                    let trainer = try Trainer(config: c, run: RunDirectory(folder + "/" + model))
                    trainer.quiet = true
                    try trainer.run()
                    let epochSeconds = trainer.metrics[0].seconds
                    let probe = ProbedTraining.probeSet(of: trainer, batchSize: DumpOptions().batchSize)
                    let job = ProbeJob(model: trainer.model, probe: probe, options: DumpOptions(storage: storage, compression: packing),
                                       epoch: 1, run: model, seed: 0, quiet: true)
                    let path = folder + "/\(model)-dump.h5"
                    var times: [Double] = [], cpu: [Double] = [], passes: [Stages] = []
                    for _ in 0..<repeats {
                        // A new file each time, as training writes one per dump epoch: replacing the last repeat's
                        // file would add the unlink of its blocks to the rename (about 20 ms for 83 MB on ext4).
                        try? FileManager.default.removeItem(atPath: path)
                        let t0 = Date(), c0 = Dump.cpuSeconds()
                        try job.write(to: path)
                        times.append(Date().timeIntervalSince(t0))
                        cpu.append(Dump.cpuSeconds() - c0)
                        // Each dump is paired with a pass of its stages right after it, so that a ratio compares
                        // two runs a few seconds apart under the same load from other processes.
                        if profile { passes.append(try stages(job, path: folder + "/\(model)-stages.h5")) }
                    }
                    let dumpSeconds = Dump.median(times), dumpCPU = Dump.median(cpu)
                    let bytes = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
                    let train = trainer.split.train.count
                    print("\(model.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%5d", train))  \(String(format: "%7.2f", epochSeconds))  \(String(format: "%6.2f", dumpSeconds))  \(String(format: "%9.1f%%", 100 * dumpSeconds / epochSeconds))  \(String(format: "%7.1f", bytes / 1e6))  \(String(format: "%9.0f", bytes / 1e6 / dumpSeconds))  \(String(format: "%10.2f", dumpCPU))")
                    if profile { try report(job, dumps: times, passes: passes) }
                }
            }
        }

        /// User + system CPU seconds of this process so far, all threads.
        static func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let t = { (v: timeval) in Double(v.tv_sec) + Double(v.tv_usec) * 1e-6 }
            return t(usage.ru_utime) + t(usage.ru_stime)
        }

        /// Seconds of one pass of the dump's stages, each timed on its own.
        struct Stages {
            var prepare = 0.0, forward = 0.0, backward = 0.0, write = 0.0
            /// What the dump cannot do without: the forward pass and the backward pass to the recorded layers.
            var compute: Double { forward + backward }
        }

        static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

        /// The dump's stages run one after another, each timed on its own (the real dump overlaps the write
        /// with the compute): prepare images, forward, target and backward, then the write of those rows alone.
        func stages(_ job: ProbeJob, path: String, layerTimes: Bool = false) throws -> Stages {
            let header = try job.header()
            let presence = (background: header.hasBackground, box: header.hasBox, mask: header.hasMask)
            let prober = Prober(network: job.model, target: job.options.target, layers: header.layers.map(\.name))
            let record = Set(prober.layers), k = header.classes.count
            var times = Stages()
            var rows: [DumpRows] = []
            for index in 0..<job.probe.batchCount {
                var t = Date()
                let batch = try job.probe.batch(index, presence: presence)
                times.prepare += Date().timeIntervalSince(t)
                t = Date()
                let (logits, embedding, activations) = try job.model.probeForward(batch.input, record: record)
                times.forward += Date().timeIntervalSince(t)
                t = Date()
                let (values, dLogits) = job.options.target.evaluate(logits: logits.storage, labels: batch.labels, classes: k)
                let gradients = try job.model.probeBackward(Tensor(shape: logits.shape, storage: dLogits))
                times.backward += Date().timeIntervalSince(t)
                if !layerTimes {
                    rows.append(DumpRows(samples: batch.samples, logits: logits.storage, probabilities: logits.storage,
                                         targetValues: values, embedding: embedding.storage, activations: activations, gradients: gradients))
                }
            }
            if layerTimes { return times }
            try? FileManager.default.removeItem(atPath: path)
            let t = Date()
            try DumpWriter.write(path, header: header, spread: { job.model.concurrentPerform(iterations: $0, $1) }) { emit in
                for r in rows { try emit(r) }
            }
            times.write = Date().timeIntervalSince(t)
            return times
        }

        /// The stage medians, the dump's wall time against its compute (median of the per-repeat ratios), then
        /// one more pass with per-layer timing for the slowest layers (stderr).
        func report(_ job: ProbeJob, dumps: [Double], passes: [Stages]) throws {
            let log = { (line: String) in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let m = { (key: KeyPath<Stages, Double>) in Dump.median(passes.map { $0[keyPath: key] }) }
            log(String(format: "  stages, %@ (s, median of %d): prepare %.2f  forward %.2f  target+backward %.2f  write alone %.2f",
                       job.model.name, passes.count, m(\.prepare), m(\.forward), m(\.backward), m(\.write)))
            let ratios = zip(dumps, passes).map { $0 / $1.compute }
            let withPrepare = zip(dumps, passes).map { $0 / ($1.compute + $1.prepare) }
            log(String(format: "  dump / (forward + backward): %.3f (median; per repeat %@); dump / (prepare + forward + backward): %.3f",
                       Dump.median(ratios), ratios.map { String(format: "%.2f", $0) }.joined(separator: " "), Dump.median(withPrepare)))
            job.model.layerTimes = [:]
            defer { job.model.layerTimes = nil }
            _ = try stages(job, path: "", layerTimes: true)
            let layerTimes = job.model.layerTimes ?? [:]
            let top = layerTimes.filter { !$0.key.contains(".") || $0.key.hasPrefix("features.") }.sorted { $0.value > $1.value }.prefix(10)
            log("  slowest top-level layers (s): " + top.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", "))
        }
    }
}

private extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
