import Foundation
import LoupeCore
import Testing
@testable import Train

@Suite struct DataSyntheticTests {
    @Test func classListsFollowTheStudyDesign() {
        let target = SyntheticClass.target, source = SyntheticClass.source
        #expect(target.count == 8 && source.count == 12)
        #expect(Set(target.map(\.shape)) == Set(SyntheticShape.allCases))
        #expect(Set(source.map(\.shape)) == Set(SyntheticShape.allCases))
        #expect(Set(target).isDisjoint(with: source))
        for c in source {
            let targetTexture = target.first { $0.shape == c.shape }!.texture
            #expect(c.texture != targetTexture, "\(c) repeats its shape's target texture")
        }
        for t in SyntheticTexture.allCases { #expect(source.filter { $0.texture == t }.count == 2) }
        #expect(SyntheticClass.all.count == 48 && Set(SyntheticClass.all).count == 48)
        #expect(target.map(\.name).contains("star-spots"))
    }

    @Test func samplesAreDeterministicAndRandomAccess() throws {
        let data = try SyntheticDataset(SyntheticOptions(perClass: 3, size: 32, seed: 4))
        #expect(data.count == 24 && data.classes.count == 8 && data.channels == 3)
        let a = try data.sample(at: 17), b = try data.sample(at: 17)
        #expect(a == b)
        #expect(a.label == 17 % 8 && a.id == "synthetic/target/00017")
        let other = try SyntheticDataset(SyntheticOptions(perClass: 3, size: 32, seed: 5)).sample(at: 17)
        #expect(other.image != a.image)
        let test = try SyntheticDataset(SyntheticOptions(perClass: 3, size: 32, seed: 4), part: .test).sample(at: 17)
        #expect(test.image != a.image && test.id == "synthetic/target-test/00017")
        #expect(throws: LoupeError.self) { try data.sample(at: 24) }
    }

    @Test func metadataMatchesThePixels() throws {
        let data = try SyntheticDataset(SyntheticOptions(perClass: 2, size: 48, seed: 1, split: .all))
        #expect(data.classes.count == 20)
        var maskFractions: [Float] = []
        for i in 0..<data.count {
            let s = try data.sample(at: i)
            let n = 48
            #expect(s.image.width == n && s.image.height == n && s.image.channels == 3)
            let bg = try #require(s.meta.background)
            #expect(bg.allSatisfy { $0 >= 0.05 && $0 <= 0.95 })
            let mask = try #require(s.meta.mask)
            #expect(mask.count == n * n)
            let box = try #require(s.meta.box)
            // The box is exactly the mask's bounding box in pixel-edge coordinates.
            var xs: [Int] = [], ys: [Int] = []
            for y in 0..<n { for x in 0..<n where mask[y * n + x] == 1 { xs.append(x); ys.append(y) } }
            #expect(box == [Float(xs.min()!), Float(ys.min()!), Float(xs.max()! + 1), Float(ys.max()! + 1)])
            maskFractions.append(Float(xs.count) / Float(n * n))
            #expect(s.meta.meanRGB == SampleMeta.meanRGB(of: s.image))
            // Pixels away from the object are the background colour give or take gradient and noise.
            var far: [Float] = [0, 0, 0], farCount = 0
            for y in 0..<n { for x in 0..<n where !(Float(x) >= box[0] - 3 && Float(x) < box[2] + 3 && Float(y) >= box[1] - 3 && Float(y) < box[3] + 3) {
                for c in 0..<3 { far[c] += Float(s.image.pixels[(y * n + x) * 3 + c]) / 255 }
                farCount += 1
            } }
            if farCount > 200 {
                for c in 0..<3 { #expect(abs(far[c] / Float(farCount) - bg[c]) < 0.07, "sample \(i) channel \(c)") }
            }
            // The object's colour inside the mask differs from the background.
            let scene = data.scene(at: i)
            let d = abs(scene.colour.x - scene.background.x) + abs(scene.colour.y - scene.background.y) + abs(scene.colour.z - scene.background.z)
            #expect(d >= 0.6 - 1e-6 || scene.colour.x == 0 || scene.colour.x == 1)
        }
        let mean = maskFractions.reduce(0, +) / Float(maskFractions.count)
        #expect(mean > 0.07 && mean < 0.2, "mean mask fraction \(mean)")
    }

    @Test func backgroundIsIndependentOfClass() throws {
        // Per-class mean background over 40 images per class stays near the overall mean (0.5 ± noise):
        // the class cannot be told from the background colour.
        let data = try SyntheticDataset(SyntheticOptions(perClass: 40, size: 16, seed: 2))
        var sums = [[Float]](repeating: [0, 0, 0], count: 8)
        for i in 0..<data.count {
            let bg = data.scene(at: i).background
            for c in 0..<3 { sums[data.label(at: i)][c] += bg[c] / 40 }
        }
        for classMean in sums { for v in classMean { #expect(abs(v - 0.5) < 0.15) } }
    }

    @Test func shapesAreDistinct() throws {
        // Same scene parameters, each shape: masks must differ pairwise by a clear margin.
        var rng = SeededGenerator(seed: 11)
        var base = SyntheticScene(kind: SyntheticClass(.ellipse, .stripes), size: 48, rng: &rng)
        base.centre = SIMD2(24, 24); base.radius = 13; base.rotation = 0.3
        var masks: [[UInt8]] = []
        for shape in SyntheticShape.allCases {
            var scene = base
            scene.kind = SyntheticClass(shape, .stripes)
            let mask = SyntheticRenderer.render(scene).mask
            let area = mask.reduce(0) { $0 + Int($1) }
            #expect(area > 150 && area < 700, "\(shape) area \(area)")
            masks.append(mask)
        }
        for i in masks.indices { for j in masks.indices where i < j {
            let differing = zip(masks[i], masks[j]).filter { $0 != $1 }.count
            #expect(differing > 60, "\(SyntheticShape.allCases[i]) vs \(SyntheticShape.allCases[j]): \(differing)")
        } }
    }

    @Test func texturesAreDistinctAndCoverBothColours() throws {
        var rng = SeededGenerator(seed: 12)
        var base = SyntheticScene(kind: SyntheticClass(.square, .stripes), size: 48, rng: &rng)
        base.centre = SIMD2(24, 24); base.radius = 16; base.noiseSigma = 0
        var patterns: [[Bool]] = []
        for texture in SyntheticTexture.allCases {
            var scene = base
            scene.kind = SyntheticClass(.square, texture)
            let r = SyntheticRenderer.render(scene)
            // Inside the mask: which pixels are nearer the second colour.
            var second: [Bool] = []
            for i in 0..<(48 * 48) where r.mask[i] == 1 {
                let p = (0..<3).map { Float(r.pixels[i * 3 + $0]) / 255 }
                let d1 = (0..<3).reduce(Float(0)) { $0 + abs(p[$1] - scene.colour[$1]) }
                let d2 = (0..<3).reduce(Float(0)) { $0 + abs(p[$1] - scene.secondColour[$1]) }
                second.append(d2 < d1)
            }
            let fraction = Float(second.filter { $0 }.count) / Float(second.count)
            #expect(fraction > 0.15 && fraction < 0.85, "\(texture) second-colour fraction \(fraction)")
            patterns.append(second)
        }
        for i in patterns.indices { for j in patterns.indices where i < j {
            let differing = zip(patterns[i], patterns[j]).filter { $0 != $1 }.count
            #expect(differing > patterns[i].count / 5, "\(SyntheticTexture.allCases[i]) vs \(SyntheticTexture.allCases[j])")
        } }
    }

    @Test("radius= scales the object and nothing else: same colours, texture phase and class")
    func radiusScalesOnlyTheObject() throws {
        let small = try SyntheticDataset(SyntheticOptions(perClass: 4, size: 32, seed: 2, split: .source))
        let large = try SyntheticDataset(SyntheticOptions(perClass: 4, size: 32, seed: 2, split: .source, radius: 0.35...0.4))
        for i in 0..<8 {
            let a = small.scene(at: i), b = large.scene(at: i)
            #expect(a.radius >= 0.2 * 32 && a.radius <= 0.3 * 32)
            #expect(b.radius >= 0.35 * 32 && b.radius <= 0.4 * 32)
            #expect(a.background == b.background && a.colour == b.colour && a.phase == b.phase && a.kind == b.kind)
            let maskA = try small.sample(at: i).meta.mask!, maskB = try large.sample(at: i).meta.mask!
            #expect(maskB.filter { $0 > 0 }.count > maskA.filter { $0 > 0 }.count)
        }
    }

    @Test("split=wide: the 40 pairs that are not target classes, source classes first")
    func wideSplitAvoidsTargets() throws {
        let wide = SyntheticClass.list(.wide)
        #expect(wide.count == 40 && Set(wide).count == 40)
        #expect(Array(wide.prefix(12)) == SyntheticClass.source)
        #expect(wide.allSatisfy { !SyntheticClass.target.contains($0) })
        let data = try SyntheticDataset(SyntheticOptions(perClass: 1, size: 16, split: .wide))
        #expect(data.classes.count == 40)
        #expect(try DataSpec(parsing: "synthetic:split=wide,classes=20").description == "synthetic:split=wide,classes=20")
    }

    @Test func describeRecreatesTheDataset() throws {
        let options = SyntheticOptions(classes: 5, perClass: 7, size: 40, seed: 3, split: .source, radius: 0.25...0.35)
        let data = try SyntheticDataset(options)
        let spec = try DataSpec(parsing: data.describe["spec"]!)
        let reopened = try spec.open()
        #expect(reopened.classes == data.classes && reopened.count == 35)
        #expect(try reopened.sample(at: 9) == data.sample(at: 9))
    }
}
