import Foundation
import LoupeCore
import Testing
@testable import Train

@Suite("Checkpoints and safetensors")
struct CheckpointTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "loupe-ckpt-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func sample() -> Checkpoint {
        Checkpoint(model: "resnet18", epoch: 3, numClasses: 2, inChannels: 3, imageSize: 64, modelOptions: "{\"small_input\":false}",
                   seed: 99,
                   state: [("conv1.weight", Tensor(shape: [2, 3, 1, 1], storage: (0..<6).map { Float($0) / 7 })),
                           ("bn1.num_batches_tracked", Tensor(shape: [], storage: [12])),
                           ("fc.bias", Tensor(shape: [2], storage: [0.5, -0.5]))],
                   optimizerType: "sgd", optimizerStep: 40,
                   optimizerState: [("momentum_buffer.fc.bias", Tensor(shape: [2], storage: [0.1, 0.2]))],
                   rngState: [1, 2, 3, 4], classes: ["star-spots", "ring-checks"])
    }

    @Test("a checkpoint round-trips and keeps its state order")
    func roundTrip() throws {
        let folder = temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/epoch-0003.h5"
        try sample().write(to: path)
        let back = try Checkpoint.read(path)
        #expect(back.state.map(\.key) == ["conv1.weight", "bn1.num_batches_tracked", "fc.bias"])
        #expect(back.state.map(\.value) == sample().state.map(\.value))
        #expect(back.optimizerState.map(\.key) == ["momentum_buffer.fc.bias"])
        #expect(back.optimizerStep == 40 && back.optimizerType == "sgd")
        #expect(back.rngState == [1, 2, 3, 4] && back.seed == 99 && back.epoch == 3)
        #expect(back.classes == ["star-spots", "ring-checks"])
        #expect(try HDF5File.open(path).dataset("state/bn1.num_batches_tracked").elementType == .int64)
    }

    @Test("a checkpoint whose sizes a model cannot have is refused by name", arguments: [
        ("image_size", 0), ("image_size", -64), ("num_classes", 0), ("in_channels", 9), ("epoch", -1),
    ])
    func impossibleSizesAreRefused(attribute: String, value: Int) throws {
        let folder = temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bad.h5"
        try sample().write(to: path)
        let file = try HDF5File.open(path, writable: true)
        try file.setAttribute(attribute, value)
        file.close()
        #expect { _ = try Checkpoint.read(path) } throws: { "\($0)".contains(attribute) && "\($0)".contains("\(value)") }
    }

    @Test("h5py reads a checkpoint's state_dict with torchvision keys and PyTorch dtypes")
    func h5pyReadsCheckpoint() throws {
        let folder = temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.h5"
        try sample().write(to: path)
        let script = "import h5py,sys; f=h5py.File(sys.argv[1]); s=f['state']; print(sorted(s.keys()), s['conv1.weight'].dtype, s['conv1.weight'].shape, s['bn1.num_batches_tracked'].dtype, f.attrs['format'])"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) ==
                "['bn1.num_batches_tracked', 'conv1.weight', 'fc.bias'] float32 (2, 3, 1, 1) int64 loupe-checkpoint")
    }

    @Test("a checkpoint file is never half-written under its final name")
    func noHalfFile() throws {
        let folder = temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/epoch-0001.h5"
        var bad = sample()
        bad.state.append(("x", Tensor(shape: [1], storage: [1])))
        bad.state.append(("x", Tensor(shape: [1], storage: [2])))  // duplicate key: the HDF5 write fails midway
        #expect(throws: (any Error).self) { try bad.write(to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("reads a safetensors file written by PyTorch's safetensors package (F32, F16, BF16, I64)")
    func readsTorchSafetensors() throws {
        let tensors = Dictionary(uniqueKeysWithValues: try SafeTensors.read(Self.fixtures + "/tiny.safetensors").map { ($0.key, $0.value) })
        func ramp(_ n: Int) -> [Float] { (0..<n).map { Float($0) * 0.25 - 1 } }
        #expect(tensors["conv1.weight"] == Tensor(shape: [2, 3, 1, 1], storage: ramp(6)))
        #expect(tensors["bn1.running_var"] == Tensor(shape: [4], storage: ramp(4)))
        #expect(tensors["fc.weight"] == Tensor(shape: [2, 3], storage: ramp(6)))
        #expect(tensors["bn1.num_batches_tracked"] == Tensor(shape: [], storage: [7]))
    }

    @Test("safetensors written by Loupe read back; garbage is a clear error")
    func safetensorsRoundTrip() throws {
        let folder = temporaryFolder(); defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/m.safetensors"
        try SafeTensors.write(sample().state, to: path, metadata: ["format": "pt"])
        let back = try SafeTensors.read(path)
        #expect(Dictionary(uniqueKeysWithValues: back.map { ($0.key, $0.value) }) == sample().stateDictionary)
        let junk = folder + "/junk.safetensors"
        FileManager.default.createFile(atPath: junk, contents: Data("hello world, not tensors".utf8))
        #expect(throws: LoupeError.self) { try SafeTensors.read(junk) }
    }
}
