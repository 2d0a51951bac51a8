import Foundation
import LoupeCore

/// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747): 28×28 gray images of 10 clothing
/// classes, 60,000 train and 10,000 test, read from the four IDX files (gzip-compressed or not).
public struct FashionMNIST: Dataset {
    public let directory: String
    public let part: DataPart
    /// n × 28 × 28 bytes.
    let images: [UInt8]
    let labelBytes: [UInt8]

    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public static let side = 28

    /// The file stems of a part: images, labels.
    static func stems(_ part: DataPart) -> (images: String, labels: String) {
        part == .train ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
                       : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    }

    /// Loads `part` from `directory` (`name` or `name.gz` for each file).
    /// - Throws: `LoupeError.io` saying how to install the data when files are missing; `.format`
    ///   when they do not hold 28×28 images with matching labels in 0…9.
    public init(directory: String = DataSpec.defaultFashionMNISTDirectory, part: DataPart = .train) throws {
        self.directory = directory
        self.part = part
        let (imageStem, labelStem) = FashionMNIST.stems(part)
        let imageFile = try IDXFile.read(try FashionMNIST.locate(imageStem, in: directory))
        let labelFile = try IDXFile.read(try FashionMNIST.locate(labelStem, in: directory))
        let side = FashionMNIST.side
        guard imageFile.shape.count == 3, imageFile.shape[1] == side, imageFile.shape[2] == side else {
            throw LoupeError.format(path: directory + "/" + imageStem, message: "expected n×28×28 images, found shape \(imageFile.shape)")
        }
        guard labelFile.shape == [imageFile.shape[0]] else {
            throw LoupeError.format(path: directory + "/" + labelStem,
                                    message: "\(labelFile.shape) labels for \(imageFile.shape[0]) images")
        }
        if let bad = labelFile.values.first(where: { $0 >= 10 }) {
            throw LoupeError.format(path: directory + "/" + labelStem, message: "label \(bad) out of range 0…9")
        }
        images = imageFile.values
        labelBytes = labelFile.values
    }

    /// `stem` or `stem.gz` under `directory`.
    static func locate(_ stem: String, in directory: String) throws -> String {
        for candidate in [stem + ".gz", stem] {
            let path = (directory as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw LoupeError.io(path: (directory as NSString).appendingPathComponent(stem + ".gz"), message: """
            Fashion-MNIST file not found. Install the Debian package (sudo apt-get install dataset-fashion-mnist, \
            files go to \(DataSpec.defaultFashionMNISTDirectory)) or pass --data fashion-mnist:DIR with a folder holding \
            train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz
            """)
    }

    public var name: String { "fashion-mnist" }
    public var classes: [String] { FashionMNIST.classNames }
    public var count: Int { labelBytes.count }
    public var channels: Int { 1 }

    public var describe: [String: String] {
        ["kind": name, "spec": DataSpec.fashionMNIST(directory: directory).description, "directory": directory,
         "part": part.rawValue, "count": String(count)]
    }

    public func label(at index: Int) -> Int { Int(labelBytes[index]) }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let side = FashionMNIST.side, n = side * side
        let pixels = Array(images[(index * n)..<((index + 1) * n)])
        let image = Image(width: side, height: side, channels: 1, pixels: pixels)
        let digits = String(index)
        let id = "fashion-mnist/\(part.rawValue)/" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return Sample(image: image, label: label(at: index), id: id, meta: SampleMeta(meanRGB: SampleMeta.meanRGB(of: image)))
    }
}
