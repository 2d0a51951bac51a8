import Foundation
import LoupeCore

/// CIFAR-10 (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009) from its
/// binary batches: records of 1 label byte + 3072 bytes (1024 R, 1024 G, 1024 B, row-major 32×32).
public struct CIFAR10: Dataset {
    public let directory: String
    public let part: DataPart
    public let classes: [String]
    /// n × 32 × 32 × 3, HWC.
    let images: [UInt8]
    let labelBytes: [UInt8]

    public static let side = 32
    static let recordSize = 1 + 3 * 32 * 32
    public static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                           "dog", "frog", "horse", "ship", "truck"]

    /// Loads `part` (train: data_batch_1…5.bin, test: test_batch.bin) from `directory` or its
    /// `cifar-10-batches-bin` subfolder (what the official archive unpacks to).
    /// - Throws: `LoupeError.io` when a batch is missing, `.format` when one is malformed.
    public init(directory: String, part: DataPart = .train) throws {
        self.part = part
        let fm = FileManager.default
        let nested = (directory as NSString).appendingPathComponent("cifar-10-batches-bin")
        let root = !fm.fileExists(atPath: (directory as NSString).appendingPathComponent("test_batch.bin"))
            && fm.fileExists(atPath: nested) ? nested : directory
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoupeError.io(path: directory, message: "CIFAR-10 folder not found (download and unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz)")
        }
        let batchFiles = part == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var images: [UInt8] = [], labels: [UInt8] = []
        for name in batchFiles {
            let path = (root as NSString).appendingPathComponent(name)
            guard let data = fm.contents(atPath: path) else {
                throw LoupeError.io(path: path, message: "CIFAR-10 batch missing (expected the binary version: data_batch_1…5.bin, test_batch.bin)")
            }
            let batch = try CIFAR10.parseBatch(data, name: path)
            images += batch.images
            labels += batch.labels
        }
        let metaPath = (root as NSString).appendingPathComponent("batches.meta.txt")
        let listed = (try? String(contentsOfFile: metaPath, encoding: .utf8))?
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        let classNames = listed.count == 10 ? listed : CIFAR10.defaultClassNames
        if let bad = labels.first(where: { Int($0) >= classNames.count }) {
            throw LoupeError.format(path: root, message: "label \(bad) out of range 0…9")
        }
        classes = classNames
        self.images = images
        labelBytes = labels
    }

    /// Splits one binary batch into HWC pixels and label bytes; `name` is used in error messages.
    /// - Throws: `LoupeError.format` when the size is not a whole number of records.
    public static func parseBatch(_ data: Data, name: String) throws -> (images: [UInt8], labels: [UInt8]) {
        guard data.count > 0, data.count % recordSize == 0 else {
            throw LoupeError.format(path: name, message: "size \(data.count) is not a multiple of the \(recordSize)-byte record")
        }
        let records = data.count / recordSize, plane = side * side
        var images: [UInt8] = [], labels: [UInt8] = []
        images.reserveCapacity(records * plane * 3)
        labels.reserveCapacity(records)
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for r in 0..<records {
                let base = r * recordSize
                labels.append(bytes[base])
                for p in 0..<plane {
                    images.append(bytes[base + 1 + p])
                    images.append(bytes[base + 1 + plane + p])
                    images.append(bytes[base + 1 + 2 * plane + p])
                }
            }
        }
        return (images, labels)
    }

    public var name: String { "cifar10" }
    public var count: Int { labelBytes.count }
    public var channels: Int { 3 }

    public var describe: [String: String] {
        ["kind": name, "spec": DataSpec.cifar10(directory: directory).description, "directory": directory,
         "part": part.rawValue, "count": String(count)]
    }

    public func label(at index: Int) -> Int { Int(labelBytes[index]) }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let n = CIFAR10.side * CIFAR10.side * 3
        let image = Image(width: CIFAR10.side, height: CIFAR10.side, channels: 3,
                          pixels: Array(images[(index * n)..<((index + 1) * n)]))
        let digits = String(index)
        let id = "cifar10/\(part.rawValue)/" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return Sample(image: image, label: label(at: index), id: id, meta: SampleMeta(meanRGB: SampleMeta.meanRGB(of: image)))
    }
}
