import Foundation
import LoupeCore
import Testing
@testable import Train

/// A fresh temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "loupe-data-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }
    func makeFolder(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: file(relative), withIntermediateDirectories: true)
    }
    func write(_ relative: String, _ data: Data) throws {
        try makeFolder((relative as NSString).deletingLastPathComponent)
        try data.write(to: URL(fileURLWithPath: file(relative)))
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Made with Pillow 13 (quality 90): an 8×6 RGB image, left half (200, 30, 30), right half (30, 30, 200).
let jpegRGB8x6 = Data(base64Encoded: "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAGAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwD5X8df8uP/AAP/ANlooor+l/Db/klcJ/2//wCnJnu8f/8AJS4r/tz/ANNwP//Z")!
/// Made with Pillow 13: a 4×4 gray JPEG, value 128.
let jpegGray4x4 = Data(base64Encoded: "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAEAAQBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/ACv/2Q==")!

/// An IDX ubyte file: header then values.
func idxBytes(shape: [Int], values: [UInt8]) -> Data {
    var bytes: [UInt8] = [0, 0, 8, UInt8(shape.count)]
    for d in shape { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return Data(bytes + values)
}

/// Compresses `path` in place to `path.gz` with the system gzip (the same tool the reader uses).
func gzipFile(_ path: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Gunzip.executable()!)
    process.arguments = ["-f", "-n", path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
}

@Suite struct DataReaderTests {
    // MARK: IDX and Fashion-MNIST

    @Test func idxParsesAndRejectsBadFiles() throws {
        let file = try IDXFile.parse(idxBytes(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), name: "t")
        #expect(file.shape == [2, 3] && file.values == [1, 2, 3, 4, 5, 6])
        #expect(throws: LoupeError.self) { try IDXFile.parse(Data([1, 0, 8, 1, 0, 0, 0, 1, 9]), name: "t") }
        #expect(throws: LoupeError.self) { try IDXFile.parse(Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 9]), name: "t") }  // float type
        #expect(throws: LoupeError.self) { try IDXFile.parse(idxBytes(shape: [4], values: [1, 2, 3]), name: "t") }
    }

    @Test func fashionMNISTReadsGzippedAndPlainFiles() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        let side = 28, n = 3
        var pixels = [UInt8](repeating: 0, count: n * side * side)
        for i in 0..<n { for p in 0..<(side * side) { pixels[i * side * side + p] = UInt8((i * 50 + p) % 256) } }
        try folder.write("train-images-idx3-ubyte", idxBytes(shape: [n, side, side], values: pixels))
        try folder.write("train-labels-idx1-ubyte", idxBytes(shape: [n], values: [9, 0, 4]))
        try gzipFile(folder.file("train-images-idx3-ubyte"))  // images gzipped, labels plain
        #expect(FileManager.default.fileExists(atPath: folder.file("train-images-idx3-ubyte.gz")))
        let data = try FashionMNIST(directory: folder.path)
        #expect(data.count == 3 && data.channels == 1 && data.classes.count == 10)
        #expect(data.labels == [9, 0, 4])
        let s = try data.sample(at: 1)
        #expect(s.image.width == 28 && s.image.channels == 1 && s.label == 0 && s.id == "fashion-mnist/train/00001")
        #expect(Array(s.image.pixels.prefix(3)) == [50, 51, 52])
        #expect(s.meta.meanRGB.count == 3 && s.meta.meanRGB[0] == s.meta.meanRGB[2])
        #expect(s.meta.box == nil && s.meta.background == nil)
        // The test part is missing: the message says how to get the data.
        do {
            _ = try FashionMNIST(directory: folder.path, part: .test)
            Issue.record("opened a missing test part")
        } catch let error as LoupeError {
            #expect(error.description.contains("apt-get install dataset-fashion-mnist"))
            #expect(error.description.contains("fashion-mnist:DIR"))
        }
    }

    @Test func fashionMNISTRejectsCorruptGzipAndBadLabels() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        try folder.write("train-images-idx3-ubyte.gz", Data([0x1F, 0x8B, 8, 0, 1, 2, 3]))
        try folder.write("train-labels-idx1-ubyte", idxBytes(shape: [1], values: [3]))
        #expect(throws: LoupeError.self) { try FashionMNIST(directory: folder.path) }
        try folder.write("train-images-idx3-ubyte.gz", Data())
        try FileManager.default.removeItem(atPath: folder.file("train-images-idx3-ubyte.gz"))
        try folder.write("train-images-idx3-ubyte", idxBytes(shape: [1, 28, 28], values: [UInt8](repeating: 0, count: 784)))
        try folder.write("train-labels-idx1-ubyte", idxBytes(shape: [1], values: [10]))
        #expect(throws: LoupeError.self) { try FashionMNIST(directory: folder.path) }
    }

    /// The real files, where installed (or unpacked from the .deb into $LOUPE_FASHION_MNIST).
    static let installedFashionMNIST = ProcessInfo.processInfo.environment["LOUPE_FASHION_MNIST"] ?? DataSpec.defaultFashionMNISTDirectory

    @Test(.enabled(if: FileManager.default.fileExists(atPath: installedFashionMNIST + "/t10k-labels-idx1-ubyte.gz")))
    func installedFashionMNISTOpens() throws {
        let data = try DataSpec(parsing: "fashion-mnist:" + Self.installedFashionMNIST).open(part: .test)
        #expect(data.count == 10_000 && data.classCounts == Array(repeating: 1000, count: 10))
        let s = try data.sample(at: 0)
        #expect(s.label == 9 && s.image.width == 28)  // the first test image is an ankle boot
    }

    // MARK: folders

    @Test func folderIndexesClassesSkipsJunkAndReadsBoxes() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        // Stanford Dogs layout: Images/<wnid>-<Breed>/…, Annotation/<wnid>-<Breed>/<stem>
        let red = Image(width: 5, height: 4, channels: 3, pixels: (0..<20).flatMap { _ in [UInt8(255), 0, 0] })
        let rgba = Image(width: 3, height: 3, channels: 4, pixels: (0..<9).flatMap { _ in [UInt8(0), 0, 255, 255] })
        try folder.write("Images/n02085620-Chihuahua/a.png", try red.pngData())
        try folder.write("Images/n02085620-Chihuahua/b.jpg", jpegRGB8x6)
        try folder.write("Images/n02085620-Chihuahua/notes.txt", Data("not an image".utf8))
        try folder.write("Images/n02085620-Chihuahua/.DS_Store", Data([0, 1]))
        try folder.write("Images/n02096294-Australian_terrier/c.png", try rgba.pngData())
        try folder.write("Images/n02096294-Australian_terrier/broken.jpg", Data([0xFF, 0xD8, 0xFF]))
        try folder.makeFolder("Images/n09999999-Empty")
        try folder.write("Annotation/n02085620-Chihuahua/b", Data("""
            <annotation><size><width>8</width><height>6</height><depth>3</depth></size>
            <object><name>Chihuahua</name><bndbox><xmin>2</xmin><ymin>1</ymin><xmax>7</xmax><ymax>6</ymax></bndbox></object>
            <object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>
            """.utf8))
        var warnings: [String] = []
        let data = try FolderDataset(directory: folder.path, warn: { warnings.append($0) })
        #expect(data.classes == ["Chihuahua", "Australian_terrier"])
        #expect(data.count == 3 && data.channels == 3)
        #expect(data.skippedCount == 2 && data.skippedFiles.contains("n02085620-Chihuahua/notes.txt"))
        #expect(warnings.count == 1 && warnings[0].contains("skipped 2"))
        #expect((0..<3).map(data.path(at:)) == ["n02085620-Chihuahua/a.png", "n02085620-Chihuahua/b.jpg", "n02096294-Australian_terrier/c.png"])
        let jpeg = try data.sample(at: 1)
        #expect(jpeg.image.width == 8 && jpeg.image.height == 6 && jpeg.image.channels == 3)
        #expect(jpeg.id == "n02085620-Chihuahua/b.jpg" && jpeg.label == 0)
        #expect(jpeg.meta.box == [1, 0, 7, 6])  // VOC 1-based inclusive → pixel edges
        #expect(jpeg.image.pixels[0] > 150 && jpeg.image.pixels[2] < 80)  // left half red
        let png = try data.sample(at: 2)
        #expect(png.image.channels == 3 && Array(png.image.pixels.prefix(3)) == [0, 0, 255] && png.meta.box == nil)
        #expect(png.meta.meanRGB == [0, 0, 1])
        // The Images folder itself works too and still finds the sibling annotations.
        let direct = try FolderDataset(directory: folder.file("Images"), warn: { _ in })
        #expect(try direct.sample(at: 1).meta.box == [1, 0, 7, 6])
    }

    @Test func allGrayFolderStaysGray() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        try folder.write("dark/x.png", try Image(width: 2, height: 2, channels: 1, fill: 10).pngData())
        try folder.write("light/y.jpg", jpegGray4x4)
        let data = try FolderDataset(directory: folder.path, warn: { _ in })
        #expect(data.channels == 1 && data.classes == ["dark", "light"])
        let s = try data.sample(at: 1)
        #expect(s.image.channels == 1 && s.image.width == 4 && abs(Int(s.image.pixels[5]) - 128) <= 2)
    }

    @Test func folderErrors() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        #expect(throws: LoupeError.self) { try FolderDataset(directory: folder.file("missing")) }
        try folder.write("a/readme.txt", Data("x".utf8))
        #expect(throws: LoupeError.self) { try FolderDataset(directory: folder.path, warn: { _ in }) }
        try folder.write("a/one.png", try Image(width: 1, height: 1, channels: 3).pngData())
        #expect(throws: LoupeError.self) { try FolderDataset(directory: folder.path, warn: { _ in }) }  // one class
    }

    @Test func classNamesStripOnlyWordNetIDs() {
        #expect(FolderDataset.classNames(["n02085620-Chihuahua", "golden-retriever", "cat"]) == ["Chihuahua", "golden-retriever", "cat"])
        #expect(FolderDataset.classNames(["n00000001-dog", "n00000002-dog"]) == ["n00000001-dog", "n00000002-dog"])
    }

    @Test func imageHeaderSkipsJPEGSegments() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        // An APP1 segment larger than the reader's 4 KiB window before the frame header.
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x27, 0x12] + [UInt8](repeating: 7, count: 0x2710)
        bytes += [UInt8](jpegRGB8x6.dropFirst(2))
        try folder.write("big.jpg", Data(bytes))
        #expect(ImageHeader.read(folder.file("big.jpg")) == ImageHeader(format: .jpeg, width: 8, height: 6, isGray: false))
        try folder.write("g.jpg", jpegGray4x4)
        #expect(ImageHeader.read(folder.file("g.jpg"))?.isGray == true)
        var cmyk = [UInt8](jpegRGB8x6)
        let sof = try #require((0..<(cmyk.count - 1)).first { cmyk[$0] == 0xFF && cmyk[$0 + 1] == 0xC0 })
        #expect(cmyk[sof + 9] == 3)
        cmyk[sof + 9] = 4
        try folder.write("cmyk.jpg", Data(cmyk))
        #expect(ImageHeader.read(folder.file("cmyk.jpg")) == nil)
        try folder.write("t.txt", Data("hello".utf8))
        #expect(ImageHeader.read(folder.file("t.txt")) == nil)
        #expect(ImageHeader.read(folder.file("none")) == nil)
    }

    @Test func vocBoxScalesToTheStoredImage() throws {
        let a = try #require(VOCAnnotation.parse("<size><width>100</width><height>50</height></size><bndbox><xmin>11</xmin><ymin>1</ymin><xmax>60</xmax><ymax>50</ymax></bndbox>"))
        #expect(a.box(width: 100, height: 50) == [10, 0, 60, 50])
        #expect(a.box(width: 50, height: 25) == [5, 0, 30, 25])
        #expect(VOCAnnotation.parse("<annotation></annotation>") == nil)
    }

    // MARK: CIFAR-10

    @Test func cifar10ReadsBinaryBatches() throws {
        let folder = try TemporaryFolder(); defer { folder.cleanup() }
        func record(label: UInt8, r: UInt8, g: UInt8, b: UInt8) -> [UInt8] {
            [label] + [UInt8](repeating: r, count: 1024) + [UInt8](repeating: g, count: 1024) + [UInt8](repeating: b, count: 1024)
        }
        let root = "cifar-10-batches-bin/"
        for k in 1...5 { try folder.write(root + "data_batch_\(k).bin", Data(record(label: UInt8(k), r: 10, g: 20, b: UInt8(k)))) }
        try folder.write(root + "test_batch.bin", Data(record(label: 9, r: 1, g: 2, b: 3) + record(label: 0, r: 4, g: 5, b: 6)))
        try folder.write(root + "batches.meta.txt", Data("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n".utf8))
        let train = try CIFAR10(directory: folder.path)
        #expect(train.count == 5 && train.labels == [1, 2, 3, 4, 5] && train.classes[9] == "truck")
        let s = try train.sample(at: 2)
        #expect(s.image.width == 32 && s.image.channels == 3 && Array(s.image.pixels.prefix(6)) == [10, 20, 3, 10, 20, 3])
        let test = try DataSpec(parsing: "cifar10:" + folder.path).open(part: .test)
        #expect(test.count == 2 && test.labels == [9, 0])
        try folder.write(root + "data_batch_3.bin", Data([1, 2, 3]))
        #expect(throws: LoupeError.self) { try CIFAR10(directory: folder.path) }
        #expect(throws: LoupeError.self) { try CIFAR10(directory: folder.file("nowhere")) }
    }
}
