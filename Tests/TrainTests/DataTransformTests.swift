import Foundation
import LoupeCore
import Testing
@testable import Train

/// A W × H RGB image whose pixel (x, y) is (10x, 10y, 7) — positions can be read back from values.
func coordinateImage(width: Int, height: Int) -> Image {
    var pixels: [UInt8] = []
    for y in 0..<height { for x in 0..<width { pixels += [UInt8(10 * x), UInt8(10 * y), 7] } }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
}

func plainSample(_ image: Image, box: [Float]? = nil, mask: [UInt8]? = nil) -> Sample {
    Sample(image: image, label: 0, id: "t", meta: SampleMeta(meanRGB: SampleMeta.meanRGB(of: image), box: box, mask: mask))
}

/// Runs `transform.write` on one sample and returns the planar values.
func written(_ transform: some SampleTransform, _ sample: Sample, seed: UInt64 = 1) -> [Float] {
    var out = [Float](repeating: .nan, count: transform.outputChannels * transform.outputSize * transform.outputSize)
    var rng = SeededGenerator(seed: seed)
    out.withUnsafeMutableBufferPointer { transform.write(sample, into: $0, rng: &rng) }
    return out
}

let identity = Normalization(mean: [0, 0, 0], std: [1, 1, 1])

@Suite struct DataTransformTests {
    @Test func preprocessorLeavesRightSizedSamplesAlone() {
        let s = plainSample(coordinateImage(width: 6, height: 6), box: [1, 1, 3, 3])
        #expect(Preprocessor(outputSize: 6).apply(s) == s)
    }

    @Test func preprocessorCentreCropsTheLongerSide() {
        let s = plainSample(coordinateImage(width: 8, height: 4), box: [0, 1, 3, 3], mask: (0..<32).map { UInt8($0 % 8 == 2 ? 1 : 0) })
        let out = Preprocessor(outputSize: 4).apply(s)
        // Shorter side already 4: no scaling, crop columns 2…5 exactly.
        #expect(out.image.width == 4 && out.image.height == 4)
        #expect(out.image.pixels[0] == 20 && out.image.pixels[3 * 3] == 50 && out.image.pixels[(4 * 3 + 0) * 3 + 1] == 30)
        #expect(out.meta.box == [0, 1, 1, 3])  // x 0…3 shifted by −2, clamped at 0
        #expect(out.meta.mask == (0..<16).map { UInt8($0 % 4 == 0 ? 1 : 0) })
        #expect(out.meta.meanRGB == SampleMeta.meanRGB(of: out.image))
    }

    @Test func preprocessorMovesSyntheticBoxAndMaskTogether() throws {
        let data = try SyntheticDataset(SyntheticOptions(perClass: 1, size: 64, seed: 3))
        let pre = Preprocessor(outputSize: 32)
        for i in 0..<data.count {
            let s = pre.apply(try data.sample(at: i))
            let mask = try #require(s.meta.mask), box = try #require(s.meta.box)
            var xs: [Int] = [], ys: [Int] = []
            for y in 0..<32 { for x in 0..<32 where mask[y * 32 + x] == 1 { xs.append(x); ys.append(y) } }
            #expect(abs(Float(xs.min()!) - box[0]) <= 1 && abs(Float(xs.max()! + 1) - box[2]) <= 1)
            #expect(abs(Float(ys.min()!) - box[1]) <= 1 && abs(Float(ys.max()! + 1) - box[3]) <= 1)
        }
    }

    @Test func preprocessorShrinksLargeImagesWithoutAliasing() {
        // A 1-pixel checkerboard shrunk 8×: a box prefilter gives mid-gray, plain bilinear would not.
        var pixels: [UInt8] = []
        for y in 0..<64 { for x in 0..<64 { pixels.append((x + y) % 2 == 0 ? 255 : 0) } }
        let out = Preprocessor(outputSize: 8, outputChannels: 1).apply(plainSample(Image(width: 64, height: 64, channels: 1, pixels: pixels)))
        #expect(out.image.pixels.allSatisfy { abs(Int($0) - 128) <= 2 })
    }

    @Test func normalisationAndChannels() {
        let white = plainSample(Image(width: 2, height: 2, channels: 3, fill: 255))
        #expect(written(Preprocessor(outputSize: 2), white).allSatisfy { $0 == 1 })
        let v = written(Preprocessor(outputSize: 2, normalization: .imageNet), white)
        #expect(abs(v[0] - (1 - 0.485) / 0.229) < 1e-5 && abs(v[11] - (1 - 0.406) / 0.225) < 1e-5)
        let gray = plainSample(Image(width: 2, height: 2, channels: 1, pixels: [0, 51, 102, 255]))
        let three = written(Preprocessor(outputSize: 2, normalization: identity, outputChannels: 3), gray)
        #expect(three.count == 12 && Array(three[0..<4]) == Array(three[4..<8]) && Array(three[4..<8]) == Array(three[8..<12]))
        #expect(abs(three[1] - 0.2) < 1e-6)
        let one = written(Preprocessor(outputSize: 2, normalization: .imageNet, outputChannels: 1), gray)
        #expect(abs(one[3] - (1 - 0.449) / 0.226) < 1e-3)
    }

    @Test func augmenterWithNothingOnIsTheIdentity() {
        let s = plainSample(coordinateImage(width: 8, height: 8))
        let off = AugmentOptions(crop: .padded(pad: 0), horizontalFlip: false, brightness: 0, contrast: 0, saturation: 0, rotationDegrees: 0)
        let aug = Augmenter(outputSize: 8, options: off, normalization: identity)
        #expect(written(aug, s) == written(Preprocessor(outputSize: 8, normalization: identity), s))
    }

    @Test func flipMirrorsAndBothStatesOccur() {
        let image = coordinateImage(width: 6, height: 4)
        let options = AugmentOptions(crop: .center, horizontalFlip: true, brightness: 0, contrast: 0, saturation: 0, rotationDegrees: 0)
        let aug = Augmenter(outputSize: 4, options: options, normalization: identity)
        let s = plainSample(image)
        let plain = written(Preprocessor(outputSize: 4, normalization: identity), s)
        var mirrored = plain
        for c in 0..<3 { for y in 0..<4 { for x in 0..<4 { mirrored[c * 16 + y * 4 + x] = plain[c * 16 + y * 4 + 3 - x] } } }
        var seen = Set<Bool>()
        for seed in 0..<16 {
            let v = written(aug, s, seed: UInt64(seed))
            #expect(v == plain || v == mirrored)
            seen.insert(v == mirrored)
        }
        #expect(seen.count == 2)
    }

    @Test func paddedCropShiftsByWholePixelsWithReplicatedBorder() {
        let image = coordinateImage(width: 10, height: 10)
        let options = AugmentOptions(crop: .padded(pad: 3), horizontalFlip: false, brightness: 0, contrast: 0, saturation: 0, rotationDegrees: 0)
        let aug = Augmenter(outputSize: 10, options: options, normalization: identity)
        var shifts = Set<[Int]>()
        for seed in 0..<40 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let out = aug.apply(plainSample(image), rng: &rng).image
            // Every output pixel is a source pixel: x = clamp(ox + dx), y = clamp(oy + dy).
            let dx = Int(out.pixels[5 * 3]) / 10 - 5, dy = Int(out.pixels[(5 * 10) * 3 + 1]) / 10 - 5
            #expect(abs(dx) <= 3 && abs(dy) <= 3)
            for y in 0..<10 { for x in 0..<10 {
                let p = (y * 10 + x) * 3
                #expect(Int(out.pixels[p]) == 10 * min(9, max(0, x + dx)) && Int(out.pixels[p + 1]) == 10 * min(9, max(0, y + dy)))
            } }
            shifts.insert([dx, dy])
        }
        #expect(shifts.count > 10)
    }

    @Test func augmentationIsDeterministicPerSeedAndVaries() throws {
        let sample = try SyntheticDataset(SyntheticOptions(perClass: 1, size: 32)).sample(at: 0)
        let aug = Augmenter(outputSize: 32, options: .standard)
        #expect(written(aug, sample, seed: 5) == written(aug, sample, seed: 5))
        #expect(written(aug, sample, seed: 5) != written(aug, sample, seed: 6))
        let values = written(aug, sample, seed: 7)
        #expect(values.allSatisfy { $0 >= -1 && $0 <= 1 })  // .half of [0, 1]
    }

    @Test func randomResizedCropStaysInsideAndRespectsScale() {
        let aug = Augmenter(outputSize: 16, options: .standard)
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<200 {
            let g = aug.drawGeometry(width: 40, height: 30, rng: &rng)
            #expect(g.centreX - g.width / 2 >= -1e-3 && g.centreX + g.width / 2 <= 40 + 1e-3)
            #expect(g.centreY - g.height / 2 >= -1e-3 && g.centreY + g.height / 2 <= 30 + 1e-3)
            let fraction = g.width * g.height / 1200
            #expect(fraction >= 0.6 - 1e-3 && fraction <= 1 + 1e-3)
            #expect(abs(g.radians) <= 10 * .pi / 180 + 1e-6)
        }
    }

    @Test func rotationTurnsAboutTheCentre() {
        // A vertical bar through the centre, turned by ≤ 10°, still covers the centre and not the corners.
        var pixels = [UInt8](repeating: 0, count: 21 * 21)
        for y in 0..<21 { for x in 9...11 { pixels[y * 21 + x] = 255 } }
        let sample = plainSample(Image(width: 21, height: 21, channels: 1, pixels: pixels))
        let options = AugmentOptions(crop: .padded(pad: 0), horizontalFlip: false, brightness: 0, contrast: 0, saturation: 0, rotationDegrees: 10)
        let aug = Augmenter(outputSize: 21, options: options, normalization: identity, outputChannels: 1)
        var anyTilted = false
        for seed in 0..<8 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let out = aug.apply(sample, rng: &rng).image
            #expect(out.pixels[10 * 21 + 10] > 200 && out.pixels[0] < 30)
            if out.pixels[0 * 21 + 10] < 200 || out.pixels[20 * 21 + 10] < 200 { anyTilted = true }
        }
        #expect(anyTilted)
    }

    @Test func jitterKernelsFollowTorchvisionFormulas() {
        // Two RGB pixels, planar.
        var p: [Float] = [0.2, 0.8, 0.4, 0.4, 0.6, 0.0]
        p.withUnsafeMutableBufferPointer { ImageKernels.brightness($0, factor: 1.5) }
        #expect(zip(p, [0.3, 1.0, 0.6, 0.6, 0.9, 0.0]).allSatisfy { abs($0 - $1) < 1e-6 })
        var q: [Float] = [0.2, 0.8, 0.4, 0.4, 0.6, 0.0]
        let gray0: Float = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, gray1: Float = 0.299 * 0.8 + 0.587 * 0.4
        let mean = (gray0 + gray1) / 2
        q.withUnsafeMutableBufferPointer { ImageKernels.contrast($0, channels: 3, plane: 2, factor: 0.5) }
        #expect(abs(q[0] - (0.5 * 0.2 + 0.5 * mean)) < 1e-6 && abs(q[5] - 0.5 * mean) < 1e-6)
        var r: [Float] = [0.2, 0.8, 0.4, 0.4, 0.6, 0.0]
        r.withUnsafeMutableBufferPointer { ImageKernels.saturation($0, channels: 3, plane: 2, factor: 0) }
        #expect(abs(r[0] - gray0) < 1e-6 && abs(r[2] - gray0) < 1e-6 && abs(r[4] - gray0) < 1e-6 && abs(r[1] - gray1) < 1e-6)
    }

    @Test func boxReduceAverages() {
        let image = Image(width: 3, height: 2, channels: 1, pixels: [0, 10, 100, 20, 30, 200])
        #expect(ImageKernels.boxReduce(image, factor: 2) == Image(width: 2, height: 1, channels: 1, pixels: [15, 150]))
    }

    @Test(arguments: [
        AffineMap(a: 1, b: 0, tx: -2, c: 0, d: 1, ty: 3),             // whole-pixel shift (copy path)
        AffineMap(a: -1, b: 0, tx: 9, c: 0, d: 1, ty: 0),             // mirror (copy path)
        AffineMap(a: 0.7, b: 0, tx: 0.3, c: 0, d: 1.3, ty: -0.6),     // resize (separable path)
        AffineMap(a: 0.9, b: -0.2, tx: 2.5, c: 0.25, d: 0.95, ty: -1), // rotation (general path)
    ])
    func resampleMatchesAFloatReference(_ map: AffineMap) {
        var rng = SeededGenerator(seed: 3)
        for channels in [1, 3] {
            let w = 11, h = 7, size = 9
            let image = Image(width: w, height: h, channels: channels, pixels: (0..<(w * h * channels)).map { _ in UInt8(rng.next() & 255) })
            var out = [Float](repeating: .nan, count: channels * size * size)
            out.withUnsafeMutableBufferPointer { ImageKernels.resample(image, map: map, width: size, height: size, into: $0) }
            for oy in 0..<size { for ox in 0..<size {
                let sx = min(max(Double(map.a) * Double(ox) + Double(map.b) * Double(oy) + Double(map.tx), 0), Double(w - 1))
                let sy = min(max(Double(map.c) * Double(ox) + Double(map.d) * Double(oy) + Double(map.ty), 0), Double(h - 1))
                let x0 = Int(sx), y0 = Int(sy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                let fx = sx - Double(x0), fy = sy - Double(y0)
                for c in 0..<channels {
                    func p(_ x: Int, _ y: Int) -> Double { Double(image.pixels[(y * w + x) * channels + c]) }
                    let v = ((1 - fx) * (1 - fy) * p(x0, y0) + fx * (1 - fy) * p(x1, y0) + (1 - fx) * fy * p(x0, y1) + fx * fy * p(x1, y1)) / 255
                    #expect(abs(Double(out[c * size * size + oy * size + ox]) - v) < 2e-3)
                }
            } }
        }
    }
}
