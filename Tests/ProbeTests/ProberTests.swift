import Foundation
import LoupeCore
import Testing
@testable import Probe

@Suite("Prober: targets and recorded gradients")
struct ProberTests {
    let k = 4, inputs = 6, hiddenSize = 5, batch = 3

    func makeBatch(seed: UInt64) -> Prober.Batch {
        var rng = SeededGenerator(seed: seed)
        let x = (0..<(batch * inputs)).map { _ in rng.nextGaussian() }
        return Prober.Batch(input: Tensor(shape: [batch, inputs], storage: x), images: [UInt8](repeating: 0, count: batch * 2 * 2 * 3),
                            labels: [0, 2, 3], ids: ["a", "b", "c"], meanRGB: [Float](repeating: 0.5, count: batch * 3))
    }

    /// The header of a dump of the tiny network's `hidden` layer: 2×2 RGB images, 4 classes.
    func makeHeader(epoch: Int, target: ProbeTarget, samples: Int) -> DumpHeader {
        DumpHeader(epoch: epoch, model: "tiny", run: "unit", target: target, normalizationMean: [0.5, 0.5, 0.5],
                   normalizationStd: [0.25, 0.25, 0.25], imageSize: 2, imageChannels: 3, seed: 9,
                   classes: ["a", "b", "c", "d"], sampleCount: samples, layers: [("hidden", [hiddenSize, 1, 1])],
                   embeddingSize: hiddenSize)
    }

    /// A new empty folder under the temporary directory; the caller removes it.
    func makeFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "loupe-probe-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Target value of sample `b` as a function of the hidden activation, in Double.
    func targetOf(_ target: ProbeTarget, net: TinyNetwork, hidden: [Float], label: Int) -> Double {
        let z = net.logitsOf(hidden: hidden, batch: 1).map(Double.init)
        let m = z.max()!
        let s = z.map { exp($0 - m) }.reduce(0, +)
        switch target {
        case .logit: return z[label]
        case .logitPredicted: return z.max()!
        case .prob: return exp(z[label] - m) / s
        case .loss: return -(z[label] - m - log(s))
        }
    }

    @Test("recorded gradient equals a finite-difference estimate of d target / d activation", arguments: ProbeTarget.allCases)
    func finiteDifferences(target: ProbeTarget) throws {
        let net = TinyNetwork(inputs: inputs, hidden: hiddenSize, classes: k, seed: 7, scale: 0.5)
        let batch = makeBatch(seed: 3)
        let rows = try Prober(network: net, target: target, layers: ["hidden"]).capture(batch, classes: k)
        let recorded = rows.gradients["hidden"]!.storage
        let h = net.hiddenOf(batch.input.storage, batch: self.batch)
        let eps: Float = 1e-2
        for b in 0..<self.batch {
            for j in 0..<hiddenSize {
                var plus = Array(h[(b * hiddenSize)..<((b + 1) * hiddenSize)]), minus = plus
                plus[j] += eps; minus[j] -= eps
                let fd = (targetOf(target, net: net, hidden: plus, label: batch.labels[b])
                          - targetOf(target, net: net, hidden: minus, label: batch.labels[b])) / Double(2 * eps)
                let got = Double(recorded[b * hiddenSize + j])
                #expect(abs(got - fd) <= 1e-3 * max(1, abs(fd)), "\(target) sample \(b) unit \(j): \(got) vs \(fd)")
            }
        }
        // The recorded target values are the targets themselves.
        for b in 0..<self.batch {
            let expected = targetOf(target, net: net, hidden: Array(h[(b * hiddenSize)..<((b + 1) * hiddenSize)]), label: batch.labels[b])
            #expect(abs(Double(rows.targetValues[b]) - expected) < 1e-4 * max(1, abs(expected)))
        }
    }

    @Test("the prob target's gradient equals p_c·(g_c − Σ_j p_j·g_j) built from per-logit gradients")
    func probFromLogitGradients() throws {
        let net = TinyNetwork(inputs: inputs, hidden: hiddenSize, classes: k, seed: 11)
        let batch = makeBatch(seed: 5)
        let prob = try Prober(network: net, target: .prob, layers: ["hidden"]).capture(batch, classes: k)
        let p = prob.probabilities
        // g_j: gradient of logit j at the layer, from a backward pass with a one-hot dLogits.
        var perLogit: [[Float]] = []
        for j in 0..<k {
            _ = try net.probeForward(batch.input, record: ["hidden"])
            var d = [Float](repeating: 0, count: self.batch * k)
            for b in 0..<self.batch { d[b * k + j] = 1 }
            perLogit.append(try net.probeBackward(Tensor(shape: [self.batch, k], storage: d))["hidden"]!.storage)
        }
        for b in 0..<self.batch {
            let c = batch.labels[b]
            for u in 0..<hiddenSize {
                let i = b * hiddenSize + u
                let mix = (0..<k).reduce(Float(0)) { $0 + p[b * k + $1] * perLogit[$1][i] }
                let analytic = p[b * k + c] * (perLogit[c][i] - mix)
                #expect(abs(prob.gradients["hidden"]!.storage[i] - analytic) < 1e-6)
            }
        }
    }

    @Test("probability target saturates to exactly zero gradient at huge margins while the logit's does not")
    func saturation() {
        // Margin 120 between the true class and the others: p rounds to 1, p_j underflows to 0.
        let logits: [Float] = [120, 0, 0, 0, 5, 0, 0, 0]
        let prob = ProbeTarget.prob.evaluate(logits: logits, labels: [0, 0], classes: 4)
        #expect(prob.dLogits[0..<4].allSatisfy { $0 == 0 })
        #expect(prob.dLogits[4..<8].contains { $0 != 0 })
        let logit = ProbeTarget.logit.evaluate(logits: logits, labels: [0, 0], classes: 4)
        #expect(logit.dLogits[0] == 1 && logit.dLogits[4] == 1)
        #expect(prob.values[0] == 1)
    }

    @Test("a dump written batch by batch holds every documented dataset and h5py reads it; compressed rows are one per chunk, uncompressed ones contiguous",
          arguments: [HDF5Compression.deflate(level: 1, shuffle: true), .none])
    func dumpContents(compression: HDF5Compression) throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let net = TinyNetwork(inputs: inputs, hidden: hiddenSize, classes: k, seed: 1)
        var header = makeHeader(epoch: 4, target: .prob, samples: 6)
        header.storage = .float16
        header.compression = compression
        let path = folder + "/epoch-0004.h5"
        try Prober(network: net, target: .prob, layers: ["hidden"]).write(to: path, header: header, batchCount: 2) { i in
            var b = makeBatch(seed: UInt64(i))
            b.ids = b.ids.map { "\(i)/\($0)" }
            return b
        }
        let file = try HDF5File.open(path)
        try RunFormat.requireFormat(file, RunFormat.dumpFormat, supported: RunFormat.dumpVersion)
        for name in [RunFormat.Dump.images, RunFormat.Dump.labels, RunFormat.Dump.ids, RunFormat.Dump.classes, RunFormat.Dump.meanRGB,
                     RunFormat.Dump.logits, RunFormat.Dump.probabilities, RunFormat.Dump.targetValues, RunFormat.Dump.embedding,
                     RunFormat.Dump.activation("hidden"), RunFormat.Dump.gradient("hidden")] {
            #expect(file.contains(name), "missing \(name)")
        }
        #expect(try file.dataset(RunFormat.Dump.ids).readStrings() == ["0/a", "0/b", "0/c", "1/a", "1/b", "1/c"])
        #expect(try file.dataset(RunFormat.Dump.gradient("hidden")).shape == [6, hiddenSize, 1, 1])
        #expect(try file.dataset(RunFormat.Dump.gradient("hidden")).elementType == .float16)
        let compressed = compression != .none
        #expect(try file.dataset(RunFormat.Dump.activation("hidden")).chunk == (compressed ? [1, hiddenSize, 1, 1] : nil))
        #expect(try file.dataset(RunFormat.Dump.images).chunk == (compressed ? [1, 2, 2, 3] : nil))
        #expect(try file.attribute("target") == .string("prob"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import h5py,sys; f=h5py.File(sys.argv[1]); print(f['gradients/hidden'].dtype, f['probe/labels'][:].tolist(), f.attrs['epoch'])", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "float16 [0, 2, 3, 0, 2, 3] 4")
    }

    @Test("prepared batches are made once per key and kept up to their budget; past it they are made every time")
    func preparedBatchesKeepWithinBudget() throws {
        let one = PreparedBatches.bytes(of: makeBatch(seed: 0))
        let kept = PreparedBatches(budget: 2 * one)
        var made: [Int] = []
        func take(_ index: Int, mask: Bool = false) throws -> Prober.Batch {
            try kept.batch(.init(index: index, background: false, box: false, mask: mask)) {
                made.append(index)
                return makeBatch(seed: UInt64(index))
            }
        }
        for _ in 0..<3 { for i in 0..<3 { _ = try take(i) } }
        // Batches 0 and 1 fill the budget; 2 is made each time.
        #expect(made == [0, 1, 2, 2, 2])
        #expect(kept.keptBytes == 2 * one)
        #expect(try take(1).input.storage == makeBatch(seed: 1).input.storage)
        _ = try take(0, mask: true)
        #expect(made.last == 0, "another metadata request is another batch")
        let none = PreparedBatches(budget: 0)
        var count = 0
        for _ in 0..<2 { _ = try none.batch(.init(index: 0, background: false, box: false, mask: false)) { count += 1; return makeBatch(seed: 0) } }
        #expect(count == 2)
    }

    @Test("a write that fails on the writer thread surfaces as its typed error and leaves no file behind")
    func writerErrorSurfaces() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let header = makeHeader(epoch: 0, target: .logit, samples: 12)
        let net = TinyNetwork(inputs: inputs, hidden: hiddenSize, classes: k, seed: 1)
        let prober = Prober(network: net, target: .logit, layers: ["hidden"])
        let path = folder + "/epoch-0000.h5"
        var emitted = 0
        #expect(throws: HDF5Error.self) {
            try DumpWriter.write(path, header: header) { emit in
                for i in 0..<4 {
                    var rows = try prober.capture(makeBatch(seed: UInt64(i)), classes: k)
                    // Batch 1's mean colours are one value short: HDF5Dataset.writeRows rejects them on the writer thread.
                    if i == 1 { rows.samples.meanRGB.removeLast() }
                    try emit(rows)
                    emitted += 1
                }
            }
        }
        // Batch 2's emit waits for batch 1 to be stored, so it is the one that throws.
        #expect(emitted == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no final or temporary file may remain")
    }

    @Test("a batch whose layer holds too few values fails at its own emit, before anything of it is staged or queued",
          arguments: [HDF5Compression.none, .deflate(level: 1, shuffle: true)])
    func shortLayerFailsAtOnce(compression: HDF5Compression) throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var header = makeHeader(epoch: 0, target: .logit, samples: 12)
        header.compression = compression
        let net = TinyNetwork(inputs: inputs, hidden: hiddenSize, classes: k, seed: 1)
        let prober = Prober(network: net, target: .logit, layers: ["hidden"])
        var emitted = 0
        let error = #expect(throws: LoupeError.self) {
            try DumpWriter.write(folder + "/epoch-0000.h5", header: header) { emit in
                for i in 0..<4 {
                    var rows = try prober.capture(makeBatch(seed: UInt64(i)), classes: k)
                    if i == 1 {
                        let short = rows.gradients["hidden"]!.storage.dropLast()
                        rows.gradients["hidden"] = Tensor(shape: [short.count], storage: Array(short))
                    }
                    try emit(rows)
                    emitted += 1
                }
            }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("'hidden'"))
        #expect(emitted == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no final or temporary file may remain")
    }
}
