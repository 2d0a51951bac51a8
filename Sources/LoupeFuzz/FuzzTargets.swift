import Analyzers
import Foundation
import LoupeCore
import Train

/// One fuzz target per reader of files other people write. Each takes the raw bytes of one file and
/// must either return or throw; a trap, a sanitizer report or a runaway allocation is a finding.
///
/// The readers are driven the way Loupe's commands drive them: a dump is opened and every dataset read,
/// a config is decoded and validated as `loupe train --resume` does.
enum FuzzTarget: String, CaseIterable {
    case dump, checkpoint, safetensors, png, jpeg, idx, cifar, voc, config

    /// What the target reads, for `--help`-style listings.
    var summary: String {
        switch self {
        case .dump: "HDF5 dump (Analyzers' DumpFile: attributes, every dataset)"
        case .checkpoint: "HDF5 checkpoint (Train's Checkpoint.read)"
        case .safetensors: "safetensors weights (--pretrained)"
        case .png: "PNG image (libpng behind Image.decode)"
        case .jpeg: "JPEG image (TurboJPEG behind Image.decode)"
        case .idx: "IDX array (MNIST / Fashion-MNIST)"
        case .cifar: "CIFAR-10 binary batch"
        case .voc: "PASCAL VOC XML annotation (Stanford Dogs boxes)"
        case .config: "run config.json"
        }
    }

    /// Runs the reader on `data`; thrown errors are the reader doing its job.
    func run(_ data: Data) throws {
        switch self {
        case .dump: try FuzzTarget.withTemporaryFile(data) { try FuzzTarget.readDump($0) }
        case .checkpoint: try FuzzTarget.withTemporaryFile(data) { _ = try Checkpoint.read($0) }
        case .safetensors: _ = try SafeTensors.parse(data, name: "fuzz.safetensors")
        case .png, .jpeg:
            let image = try Image.decode(data, name: "fuzz-image")
            _ = image.pixels.reduce(0, &+)
        case .idx: _ = try IDXFile.parse(data, name: "fuzz.idx")
        case .cifar: _ = try CIFAR10.parseBatch(data, name: "fuzz.bin")
        case .voc:
            if let annotation = VOCAnnotation.parse(String(decoding: data, as: UTF8.self)) {
                _ = annotation.box(width: 64, height: 48)
            }
        case .config:
            let config = try JSONDecoder().decode(TrainConfig.self, from: data)
            try config.validate(source: "fuzz/config.json")
        }
    }

    /// Everything an analyzer could ask of a dump.
    static func readDump(_ path: String) throws {
        let dump = try DumpFile(path)
        _ = dump.sampleCount
        for layer in dump.activationLayers { _ = try dump.activations(layer) }
        for layer in dump.gradientLayers { _ = try dump.gradients(layer) }
        let known = [RunFormat.Dump.labels, RunFormat.Dump.logits, RunFormat.Dump.probabilities, RunFormat.Dump.targetValues,
                     RunFormat.Dump.embedding, RunFormat.Dump.meanRGB, RunFormat.Dump.background, RunFormat.Dump.box,
                     RunFormat.Dump.mask]
        for name in known where dump.has(name) {
            _ = dump.shape(name)
            _ = dump.elementType(name)
            _ = try? dump.floats(name)
            _ = try? dump.matrix(name)
        }
        _ = try? dump.labels()
        _ = try? dump.ids()
        _ = try? dump.classNames()
        if let images = try? dump.images(), images.count > 0 { _ = images.image(0); _ = images.meanRGB() }
    }

    /// HDF5 opens files by name, so a dump or checkpoint input goes through a file in memory-backed /dev/shm.
    static func withTemporaryFile(_ data: Data, _ body: (String) throws -> Void) throws {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(folder)/loupe-fuzz-\(getpid()).h5"
        guard FileManager.default.createFile(atPath: path, contents: data) else { return }
        defer { unlink(path) }
        try body(path)
    }
}
