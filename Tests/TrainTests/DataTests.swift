import Foundation
import LoupeCore
import Testing
@testable import Train

/// A tiny in-memory dataset for split and loader tests.
struct ToyDataset: Dataset {
    var labelList: [Int]
    var classCount: Int
    var side = 4
    var name: String { "toy" }
    var classes: [String] { (0..<classCount).map { "c\($0)" } }
    var count: Int { labelList.count }
    var channels: Int { 3 }
    var describe: [String: String] { ["kind": "toy"] }
    func label(at index: Int) -> Int { labelList[index] }
    func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        // Pixel value encodes the index so tests can tell samples apart after batching.
        let value = UInt8(index % 256)
        let image = Image(width: side, height: side, channels: 3, fill: value)
        return Sample(image: image, label: labelList[index], id: "toy/\(index)", meta: SampleMeta(meanRGB: SampleMeta.meanRGB(of: image)))
    }
}

@Suite struct DataCoreTests {
    @Test func meanRGBOfGrayAndColour() {
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [0, 255])
        #expect(SampleMeta.meanRGB(of: gray) == [0.5, 0.5, 0.5])
        let rgb = Image(width: 1, height: 2, channels: 3, pixels: [255, 0, 51, 255, 0, 153])
        let m = SampleMeta.meanRGB(of: rgb)
        #expect(abs(m[0] - 1) < 1e-6 && m[1] == 0 && abs(m[2] - 0.4) < 1e-6)
    }

    @Test func splitIsStratifiedDisjointAndSeeded() throws {
        let labels = (0..<100).map { $0 < 60 ? 0 : ($0 < 90 ? 1 : 2) }
        let data = ToyDataset(labelList: labels, classCount: 3)
        let s = try data.split(validationFraction: 0.2, seed: 7)
        #expect(Set(s.train).isDisjoint(with: s.validation))
        #expect(Set(s.train + s.validation) == Set(0..<100))
        #expect(s.validation.filter { labels[$0] == 0 }.count == 12)
        #expect(s.validation.filter { labels[$0] == 1 }.count == 6)
        #expect(s.validation.filter { labels[$0] == 2 }.count == 2)
        #expect(s.train == s.train.sorted())
        #expect(try data.split(validationFraction: 0.2, seed: 7) == s)
        #expect(try data.split(validationFraction: 0.2, seed: 8) != s)
        #expect(throws: LoupeError.self) { try data.split(validationFraction: 1, seed: 0) }
    }

    @Test func splitGivesEveryClassWithTwoSamplesAValidationSample() throws {
        let data = ToyDataset(labelList: [0, 0, 1, 1, 1, 1, 1, 1, 1, 1], classCount: 2)
        let s = try data.split(validationFraction: 0.1, seed: 1)
        #expect(s.validation.contains { $0 < 2 })
    }

    @Test func stratifiedSubsetKeepsProportions() throws {
        let labels = (0..<90).map { $0 % 3 == 0 ? 0 : ($0 % 3 == 1 ? 1 : 2) } + Array(repeating: 2, count: 10)
        let data = ToyDataset(labelList: labels, classCount: 3)
        let subset = try data.stratifiedSubset(count: 20, seed: 3)
        #expect(subset.count == 20 && Set(subset).count == 20 && subset == subset.sorted())
        let perClass = (0..<3).map { c in subset.filter { labels[$0] == c }.count }
        #expect(perClass == [6, 6, 8])  // shares 30/100, 30/100, 40/100 of 20
        #expect(try data.stratifiedSubset(count: 20, seed: 3) == subset)
        let pool = Array(0..<30)
        let fromPool = try data.stratifiedSubset(count: 9, seed: 3, from: pool)
        #expect(fromPool.allSatisfy { $0 < 30 })
        #expect((0..<3).map { c in fromPool.filter { labels[$0] == c }.count } == [3, 3, 3])
        #expect(throws: LoupeError.self) { try data.stratifiedSubset(count: 31, seed: 0, from: pool) }
    }

    @Test func seededShuffleIsAPermutationAndStable() {
        var a = Array(0..<50), b = Array(0..<50)
        var r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5)
        seededShuffle(&a, using: &r1); seededShuffle(&b, using: &r2)
        #expect(a == b && a.sorted() == Array(0..<50) && a != Array(0..<50))
    }
}

@Suite struct DataSpecTests {
    @Test func parsesEveryForm() throws {
        #expect(try DataSpec(parsing: "synthetic") == .synthetic(SyntheticOptions()))
        let s = try DataSpec(parsing: "synthetic:split=source,per-class=250,size=32,seed=9,classes=6")
        #expect(s == .synthetic(SyntheticOptions(classes: 6, perClass: 250, size: 32, seed: 9, split: .source)))
        #expect(try DataSpec(parsing: s.description) == s)
        #expect(try DataSpec(parsing: "fashion-mnist") == .fashionMNIST(directory: "/usr/share/datasets/fashion-mnist"))
        #expect(try DataSpec(parsing: "fashion-mnist:/data/fm") == .fashionMNIST(directory: "/data/fm"))
        #expect(try DataSpec(parsing: "folder:/x/Stanford Dogs:v2") == .folder(directory: "/x/Stanford Dogs:v2"))
        #expect(try DataSpec(parsing: "cifar10:/c") == .cifar10(directory: "/c"))
        let big = try DataSpec(parsing: "synthetic:split=source,size=32,radius=0.3-0.4")
        #expect(big == .synthetic(SyntheticOptions(size: 32, split: .source, radius: 0.3...0.4)))
        #expect(big.description == "synthetic:split=source,size=32,radius=0.3-0.4")
        for text in ["synthetic", "fashion-mnist", "fashion-mnist:/d", "folder:/a", "cifar10:/b", "synthetic:split=all,classes=30",
                     "synthetic:radius=0.3-0.4"] {
            #expect(try DataSpec(parsing: text).description == text)
        }
    }

    @Test(arguments: ["imagenet", "folder", "folder:", "cifar10", "synthetic:size", "synthetic:colour=3",
                      "synthetic:size=8", "synthetic:classes=9", "synthetic:split=left", "synthetic:seed=-1",
                      "synthetic:size=64,size=32", "synthetic:per-class=0",
                      "synthetic:radius=0.3", "synthetic:radius=0.4-0.3", "synthetic:radius=0.3-0.6", "synthetic:radius=0-0.2",
                      "synthetic:radius=a-b"])
    func rejectsBadSpecsListingValidForms(_ text: String) {
        do {
            _ = try DataSpec(parsing: text)
            Issue.record("'\(text)' parsed")
        } catch let error as LoupeError {
            guard case .invalidInput(let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("valid --data forms"))
            #expect(message.contains("folder:DIR"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func folderSpecHasNoTestPart() {
        #expect(throws: LoupeError.self) { try DataSpec.folder(directory: "/nonexistent").open(part: .test) }
        #expect(!DataSpec.folder(directory: "/x").hasTestPart)
    }
}
