import ArgumentParser
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
            Data: ReLU(N(0,1)) float32, about half zeros. Layouts: contiguous; chunked one sample per chunk with
            shuffle+deflate(4); chunked with no filter. Written the way dumps are written (one sample at a time)
            into a new file, then fsync; read back whole. MB = 1e6 bytes of uncompressed array.
            Examples:
              loupe bench io
              loupe bench io --samples 128 --repeats 3 --json
            """)

        @Option(help: "First dimension (512 as in hdf5_io.py).") var samples = 512
        @Option(help: "Timed rounds per layout (median reported).") var repeats = 3
        @Option(help: "Folder for the temporary file.") var dir = NSTemporaryDirectory()
        @Flag(help: "Print JSON instead of a table.") var json = false

        func validate() throws {
            guard samples >= 1, repeats >= 1 else { throw ValidationError("--samples and --repeats must be at least 1") }
        }

        func run() throws {
            try reportingErrors {
                let shape = [samples, 64, 56, 56], per = 64 * 56 * 56
                var rng = SeededGenerator(seed: 0)
                let data = (0..<(samples * per)).map { _ in max(0, rng.nextGaussian()) }
                let megabytes = Double(data.count * 4) / 1e6
                let layouts: [(String, [Int]?, HDF5Compression)] = [
                    ("contiguous", nil, .none), ("chunked shuffle+deflate4", [1, 64, 56, 56], .deflate(level: 4, shuffle: true)),
                    ("chunked, no filter", [1, 64, 56, 56], .none)]
                var rows: [[String: String]] = []
                for (name, chunk, compression) in layouts {
                    var writes: [Double] = [], reads: [Double] = []
                    var size = 0, exact = true
                    for _ in 0..<repeats {
                        let path = dir + "/loupe-bench-io.h5"
                        let t0 = Date()
                        try HDF5File.writeAtomically(path) { file in
                            let d = try file.createDataset("act", type: .float32, shape: shape, chunk: chunk, compression: compression)
                            try data.withUnsafeBufferPointer { p in
                                for i in 0..<samples { try d.writeRows(start: i, Array(p[(i * per)..<((i + 1) * per)])) }
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
            Trains one epoch of each model on the demo's target set (256 training images, 64 px), then dumps the
            256-image probe set with the default layers, storage and compression, and reports both times and the
            dump's MB/s.
            Examples:
              loupe bench dump
              loupe bench dump --dtype float32 --compression deflate1
            """)

        @Option(help: "Storage type of the dump: float16 or float32.") var dtype = "float16"
        @Option(help: "Dump compression: none or deflate[1-9].") var compression = "none"
        @Option(help: "Compute threads.") var threads = 2

        func run() throws {
            try reportingErrors {
                guard let storage = HDF5ElementType(rawValue: dtype), let packing = HDF5Compression(parsing: compression) else {
                    throw LoupeError.invalidInput("--dtype float16|float32 and --compression none|deflate[1-9]")
                }
                let folder = NSTemporaryDirectory() + "loupe-bench-dump-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: folder) }
                print("model       epoch s  dump s  dump/epoch  dump MB  dump MB/s")
                for model in ["littleconv", "resnet18"] {
                    var c = TrainConfig()
                    c.model = model
                    c.data = "synthetic:split=target,per-class=64,seed=0,size=64"
                    c.validationFraction = 0.5
                    c.epochs = 1
                    c.threads = threads
                    c.probeSize = 256
                    let trainer = try Trainer(config: c, run: RunDirectory(folder + "/" + model))
                    trainer.quiet = true
                    try trainer.run()
                    let epochSeconds = trainer.metrics[0].seconds
                    let probe = ProbedTraining.probeSet(of: trainer, batchSize: DumpOptions().batchSize)
                    let path = folder + "/\(model)-dump.h5"
                    let t0 = Date()
                    try ProbeJob(model: trainer.model, probe: probe, options: DumpOptions(storage: storage, compression: packing), epoch: 1,
                                 run: model, seed: 0, quiet: true).write(to: path)
                    let dumpSeconds = Date().timeIntervalSince(t0)
                    let bytes = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
                    print("\(model.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%7.2f", epochSeconds))  \(String(format: "%6.2f", dumpSeconds))  \(String(format: "%9.1f%%", 100 * dumpSeconds / epochSeconds))  \(String(format: "%7.1f", bytes / 1e6))  \(String(format: "%9.0f", bytes / 1e6 / dumpSeconds))")
                }
            }
        }
    }
}

private extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
