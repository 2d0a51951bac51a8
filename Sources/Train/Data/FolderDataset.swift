import Foundation
import LoupeCore

/// Images in one subfolder per class (JPEG or PNG, any size, gray/RGB/RGBA).
///
/// The Stanford Dogs layout works as is: pass its root (holding `Images/` and `Annotation/`) or its
/// `Images/` folder; class folders named `<wnid>-<Breed>` (e.g. `n02085620-Chihuahua`) give the class
/// `Breed`, and `Annotation/<class folder>/<file name without extension>` (PASCAL VOC XML) gives the
/// object box. The folder is indexed once, in sorted order; files that are not readable PNG/JPEG
/// images (by their header; CMYK JPEGs too, which TurboJPEG cannot turn into RGB) are skipped,
/// counted and reported in one warning line. A file whose header reads but whose data is corrupt
/// makes `sample(at:)` throw, naming the file.
public struct FolderDataset: Dataset {
    /// The folder given by the user.
    public let directory: String
    /// The folder holding the class subfolders.
    public let imageRoot: String
    /// Where VOC annotations are looked up, if such a folder exists.
    public let annotationRoot: String?
    public let classes: [String]
    /// The class subfolder names, parallel to `classes`.
    public let classFolders: [String]
    /// 1 when every image is gray, else 3 (gray images are then repeated into RGB).
    public let channels: Int
    /// Paths relative to `imageRoot` of the files that were skipped, sorted.
    public let skippedFiles: [String]
    /// Image paths relative to `imageRoot`, and their labels.
    let files: [String]
    let fileLabels: [Int]

    /// Indexes `directory`.
    /// - Parameter warn: receives the one warning line about skipped files (default: standard error).
    /// - Throws: `LoupeError.io` when the folder does not exist; `.invalidInput` when it holds no
    ///   class folder with a readable image.
    public init(directory: String, warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }) throws {
        let fm = FileManager.default
        func isDirectory(_ path: String) -> Bool {
            var flag: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
        }
        guard isDirectory(directory) else {
            throw LoupeError.io(path: directory, message: "folder not found (expected one subfolder of images per class)")
        }
        self.directory = directory
        let base = directory as NSString
        let root: String, annotations: String?
        if isDirectory(base.appendingPathComponent("Images")) {
            root = base.appendingPathComponent("Images")
            let inside = base.appendingPathComponent("Annotation")
            annotations = isDirectory(inside) ? inside : nil
        } else {
            root = directory
            let sibling = (base.deletingLastPathComponent as NSString).appendingPathComponent("Annotation")
            annotations = base.lastPathComponent == "Images" && isDirectory(sibling) ? sibling : nil
        }
        imageRoot = root
        annotationRoot = annotations

        let folders = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .filter { !$0.hasPrefix(".") && isDirectory((root as NSString).appendingPathComponent($0)) }
            .sorted()
        var files: [String] = [], labels: [Int] = [], skipped: [String] = []
        var keptFolders: [String] = []
        var allGray = true
        for folder in folders {
            let folderPath = (root as NSString).appendingPathComponent(folder)
            let entries = (fm.subpaths(atPath: folderPath) ?? []).sorted()
            var found = 0
            for entry in entries {
                if entry.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                let path = (folderPath as NSString).appendingPathComponent(entry)
                if isDirectory(path) { continue }
                let relative = folder + "/" + entry
                guard let header = ImageHeader.read(path) else { skipped.append(relative); continue }
                if !header.isGray { allGray = false }
                files.append(relative)
                labels.append(keptFolders.count)
                found += 1
            }
            if found > 0 { keptFolders.append(folder) }
        }
        guard !files.isEmpty else {
            throw LoupeError.invalidInput("folder:\(directory): no PNG or JPEG images found in class subfolders of \(root)"
                + (skipped.isEmpty ? "" : " (\(skipped.count) other files skipped)"))
        }
        guard keptFolders.count >= 2 else {
            throw LoupeError.invalidInput("folder:\(directory): images found for only one class ('\(keptFolders[0])'); expected one subfolder per class")
        }
        if !skipped.isEmpty {
            warn("folder:\(directory): skipped \(skipped.count) file\(skipped.count == 1 ? "" : "s") that are not readable PNG/JPEG images (CMYK JPEGs included) (first: \(skipped[0]))")
        }
        classFolders = keptFolders
        classes = FolderDataset.classNames(keptFolders)
        channels = allGray ? 1 : 3
        skippedFiles = skipped
        self.files = files
        fileLabels = labels
    }

    /// Class names from folder names: `<wnid>-<Name>` (WordNet id "n" + 8 digits) gives `Name`,
    /// unless that would make two classes share a name.
    static func classNames(_ folders: [String]) -> [String] {
        let stripped = folders.map { folder -> String in
            guard let dash = folder.firstIndex(of: "-") else { return folder }
            let prefix = folder[..<dash]
            let isWordNetID = prefix.count == 9 && prefix.first == "n" && prefix.dropFirst().allSatisfy(\.isASCIIDigit)
            let rest = folder[folder.index(after: dash)...]
            return isWordNetID && !rest.isEmpty ? String(rest) : folder
        }
        return Set(stripped).count == stripped.count ? stripped : folders
    }

    public var name: String { "folder" }
    public var count: Int { files.count }
    public var skippedCount: Int { skippedFiles.count }

    public var describe: [String: String] {
        ["kind": name, "spec": DataSpec.folder(directory: directory).description, "directory": directory,
         "image-root": imageRoot, "annotations": annotationRoot ?? "", "count": String(count),
         "skipped": String(skippedCount), "channels": String(channels)]
    }

    public func label(at index: Int) -> Int { fileLabels[index] }

    /// The image path of sample `index`, relative to `imageRoot` (also the sample's id).
    public func path(at index: Int) -> String { files[index] }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        let relative = files[index]
        var image = try Image.read((imageRoot as NSString).appendingPathComponent(relative))
        image = channels == 3 ? image.rgb() : image.gray()
        var meta = SampleMeta(meanRGB: SampleMeta.meanRGB(of: image))
        meta.box = annotation(for: relative)?.box(width: image.width, height: image.height)
        return Sample(image: image, label: fileLabels[index], id: relative, meta: meta)
    }

    /// The VOC annotation for an image path relative to `imageRoot`: `<folder>/<stem>` or `<stem>.xml`.
    func annotation(for relative: String) -> VOCAnnotation? {
        guard let annotationRoot else { return nil }
        let stem = (relative as NSString).deletingPathExtension
        for candidate in [stem, stem + ".xml"] {
            let path = (annotationRoot as NSString).appendingPathComponent(candidate)
            if let data = FileManager.default.contents(atPath: path) {
                return VOCAnnotation.parse(String(decoding: data, as: UTF8.self))
            }
        }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension Image {
    /// The same image with 1 channel: gray + alpha is composited onto white; colour uses Rec. 601 luma.
    func gray() -> Image {
        if channels == 1 { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            switch channels {
            case 2:
                let g = Int(pixels[2 * i]), a = Int(pixels[2 * i + 1])
                out[i] = UInt8((g * a + 255 * (255 - a)) / 255)
            default:
                let p = i * channels
                let y = (299 * Int(pixels[p]) + 587 * Int(pixels[p + 1]) + 114 * Int(pixels[p + 2]) + 500) / 1000
                out[i] = UInt8(y)
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }
}
