import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Train

extension Bench {
    /// `loupe bench make-folder`: the synthetic set written out in the Stanford Dogs layout.
    struct MakeFolder: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-folder",
            abstract: "Write synthetic images as class folders with VOC box annotations (the Stanford Dogs layout).",
            discussion: """
            For trying and timing `--data folder:DIR` (train, probe, demo) without downloading anything:
            OUT/Images/<nNNNNNNNN-Class>/<id>.png and OUT/Annotation/<same folder>/<id> (PASCAL VOC XML with the
            object's box), as Stanford Dogs ships them.
            Examples:
              loupe bench make-folder --out /tmp/dogs-like
              loupe bench make-folder --out /tmp/dogs-like --classes 8 --per-class 64 --size 160
            """)

        @Option(help: "Folder to create (must not exist).") var out: String
        @Option(help: "Classes (at most 8, the synthetic target classes).") var classes = 8
        @Option(help: "Images per class.") var perClass = 64
        @Option(help: "Image size in pixels.") var size = 160
        @Option(help: "Seed of the images.") var seed: UInt64 = 0

        func validate() throws {
            guard (2...8).contains(classes) else { throw ValidationError("--classes must be 2…8") }
            guard perClass >= 1, size >= 16 else { throw ValidationError("--per-class must be ≥ 1 and --size ≥ 16") }
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("--out \(out) exists; choose a new folder") }
        }

        func run() throws {
            try reportingErrors {
                let data = try SyntheticDataset(SyntheticOptions(classes: nil, perClass: perClass, size: size, seed: seed, split: .target))
                let keep = Set(0..<classes)
                let fm = FileManager.default
                let staging = out + ".partial"
                try? fm.removeItem(atPath: staging)
                let progress = ProgressBar("images", total: classes * perClass)
                for index in 0..<data.count where keep.contains(data.label(at: index)) {
                    let sample = try data.sample(at: index)
                    let folder = String(format: "n%08d-", 90_000_000 + sample.label) + data.classes[sample.label].replacingOccurrences(of: " ", with: "_")
                    let stem = String(format: "n%08d_%d", 90_000_000 + sample.label, index)
                    try fm.createDirectory(atPath: staging + "/Images/" + folder, withIntermediateDirectories: true)
                    try fm.createDirectory(atPath: staging + "/Annotation/" + folder, withIntermediateDirectories: true)
                    try sample.image.writePNG(staging + "/Images/\(folder)/\(stem).png")
                    if let box = sample.meta.box {
                        // VOC boxes are 1-based and inclusive.
                        let xml = """
                        <annotation><filename>\(stem)</filename><size><width>\(sample.image.width)</width><height>\(sample.image.height)</height><depth>3</depth></size>
                        <object><name>\(folder)</name><bndbox><xmin>\(Int(box[0].rounded()) + 1)</xmin><ymin>\(Int(box[1].rounded()) + 1)</ymin><xmax>\(Int(box[2].rounded()))</xmax><ymax>\(Int(box[3].rounded()))</ymax></bndbox></object></annotation>
                        """
                        try Data(xml.utf8).write(to: URL(fileURLWithPath: staging + "/Annotation/\(folder)/\(stem)"))
                    }
                    progress.advance()
                }
                progress.finish()
                try fm.moveItem(atPath: staging, toPath: out)
                print("wrote \(classes * perClass) images in \(classes) class folders under \(out)/Images, boxes under \(out)/Annotation")
            }
        }
    }
}
