import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite struct GradCAMTests {
    /// torch.nn.functional.interpolate(mode="bilinear", align_corners=False) on [[1, 2], [3, 4]] → 4×4.
    @Test func bilinearMatchesTorchOnAKnownCase() {
        let up = GradCAM.upsampleBilinear([1, 2, 3, 4], height: 2, width: 2, toHeight: 4, toWidth: 4)
        let torch: [Double] = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0]
        #expect(zip(up, torch).allSatisfy { abs($0 - $1) < 1e-12 })
        // Non-integer ratio (3 → 7), checked against cv2.resize(np.float32([[0, 1, 4]]), (7, 1)).
        let row = GradCAM.upsampleBilinear([0, 1, 4], height: 1, width: 3, toHeight: 1, toWidth: 7)
        let cv2: [Double] = [0, 0.14285715, 0.5714286, 1.0, 2.2857144, 3.5714283, 4.0]
        #expect(zip(row, cv2).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// An independent float64 Grad-CAM, written the way the paper states it, normalised for display
    /// as pytorch-grad-cam does (min-max at the layer's resolution, resize, min-max again).
    static func reference(act: [Float], grad: [Float], n: Int, c: Int, h: Int, w: Int, H: Int, W: Int) -> (cam: [Double], heat: [Double], rawMax: [Double]) {
        var cam = [Double](), heat = [Double](), rawMax = [Double]()
        for i in 0..<n {
            var m = [Double](repeating: 0, count: h * w)
            for ch in 0..<c {
                var alpha = 0.0
                for p in 0..<(h * w) { alpha += Double(grad[((i * c + ch) * h * w) + p]) }
                alpha /= Double(h * w)
                for p in 0..<(h * w) { m[p] += alpha * Double(act[((i * c + ch) * h * w) + p]) }
            }
            rawMax.append(m.max()!)
            let relu = m.map { max($0, 0) }
            cam += relu
            let lo0 = relu.min()!, span0 = relu.max()! - lo0
            let unit = relu.map { ($0 - lo0) / (span0 + 1e-7) }
            var up = [Double](repeating: 0, count: H * W)
            for Y in 0..<H {
                for X in 0..<W {
                    // torch's area_pixel_compute_source_index for align_corners=False, then lerp.
                    let sy = max(0, (Double(Y) + 0.5) * Double(h) / Double(H) - 0.5), sx = max(0, (Double(X) + 0.5) * Double(w) / Double(W) - 0.5)
                    let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                    let y1 = y0 < h - 1 ? y0 + 1 : y0, x1 = x0 < w - 1 ? x0 + 1 : x0
                    let ly = sy - Double(y0), lx = sx - Double(x0)
                    up[Y * W + X] = (1 - ly) * ((1 - lx) * unit[y0 * w + x0] + lx * unit[y0 * w + x1]) + ly * ((1 - lx) * unit[y1 * w + x0] + lx * unit[y1 * w + x1])
                }
            }
            let lo = up.min()!, hi = up.max()!
            heat += up.map { ($0 - lo) / (hi - lo + 1e-7) }
        }
        return (cam, heat, rawMax)
    }

    @Test func resultMatchesFloat64Reference() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = DumpSpec(n: 12, size: 16, layers: [("layer3", 64, 4, 4), ("layer4.1", 128, 3, 3)], epoch: 7)
        let path = try TestDumps.write(spec, to: folder + "/epoch-0007.h5")
        let record = try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [path], options: ["layers": "all"], out: folder + "/out")
        let result = try HDF5File.open(folder + "/out/result.h5")
        let dump = try DumpFile(path)
        for (layer, c, h, w) in spec.layers {
            let act = try dump.floats(RunFormat.Dump.activation(layer)), grad = try dump.floats(RunFormat.Dump.gradient(layer))
            let ref = Self.reference(act: act, grad: grad, n: spec.n, c: c, h: h, w: w, H: 16, W: 16)
            let cam = try result.dataset("/epoch-0007/\(layer)/cam").read(as: Float.self)
            let heat = try result.dataset("/epoch-0007/\(layer)/heatmap").read(as: Float.self)
            let rawMax = try result.dataset("/epoch-0007/\(layer)/raw_max").read(as: Double.self)
            #expect(cam.count == ref.cam.count && heat.count == ref.heat.count)
            let camError = zip(cam, ref.cam).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
            let heatError = zip(heat, ref.heat).map { abs(Double($0) - $1) }.max()!
            #expect(camError < 1e-5, "cam error \(camError) at \(layer)")
            #expect(heatError < 1e-5, "heatmap error \(heatError) at \(layer)")
            #expect(zip(rawMax, ref.rawMax).allSatisfy { abs($0 - $1) < 1e-9 * max(1, abs($1)) })
        }
        #expect(try result.stringAttribute("format") == RunFormat.resultFormat)
        #expect(record.files.contains(folder + "/out/gradcam_object.png"))
        #expect(!record.files.contains(folder + "/out/gradcam_epochs.png"))
    }

    @Test func zeroGradientIsToldFromAnAllNegativeMap() throws {
        // Sample 0: zero gradient. Sample 1: positive activations, negative weights → all-negative map.
        let c = 2, h = 2, w = 2
        var act = [Float](repeating: 1, count: 3 * c * h * w)
        var grad = [Float](repeating: 0, count: 3 * c * h * w)
        for p in 0..<(c * h * w) { grad[c * h * w + p] = -0.5 }
        for p in 0..<(c * h * w) { grad[2 * c * h * w + p] = 0.25; act[2 * c * h * w + p] = Float(p) }
        let maps = try GradCAM.compute(activations: Tensor(shape: [3, c, h, w], storage: act), gradients: Tensor(shape: [3, c, h, w], storage: grad),
                                       imageHeight: 4, imageWidth: 4)
        #expect(maps.status == [.zeroGradient, .allNegative, .ok])
        #expect(maps.rawMax[0] == 0 && maps.rawMin[0] == 0)
        #expect(maps.rawMax[1] == -1 && maps.rawMin[1] == -1)
        #expect(maps.normalized[0..<16].allSatisfy { $0 == 0 } && maps.normalized[16..<32].allSatisfy { $0 == 0 })
        #expect(abs((maps.normalized[32..<48].max() ?? 0) - 1) < 1e-6)
    }

    @Test func attentionOnObjectScoresMaskAndBox() throws {
        // One 4×4 image; map is 1 on the left half, 0 on the right; object = left-top quarter.
        var maps = try GradCAM.compute(activations: Tensor(shape: [1, 1, 1, 1], value: 1), gradients: Tensor(shape: [1, 1, 1, 1], value: 1),
                                       imageHeight: 4, imageWidth: 4)
        maps.upsampled = (0..<16).map { $0 % 4 < 2 ? 1 : 0 }
        maps.upsampled[0] = 2  // the maximum sits on the object
        let mask = ObjectRegions.mask((0..<16).map { ($0 % 4 < 2 && $0 / 4 < 2) ? 1 : 0 }, count: 1, height: 4, width: 4)
        let a = GradCAM.attention(maps, regions: mask)
        #expect(abs(a.energyInside[0] - 5.0 / 9.0) < 1e-12)
        #expect(a.pointingHit[0] == 1)
        #expect(a.areaFraction[0] == 0.25)
        // The same object as a box in pixels and as fractions.
        let box = ObjectRegions.boxes([0, 0, 2, 2], count: 1, height: 4, width: 4)
        let fraction = ObjectRegions.boxes([0, 0, 0.5, 0.5], count: 1, height: 4, width: 4)
        #expect(box.inside == mask.inside && fraction.inside == mask.inside)
        // An empty map scores NaN, not 0.
        maps.upsampled = [Double](repeating: 0, count: 16)
        #expect(GradCAM.attention(maps, regions: mask).energyInside[0].isNaN)
    }

    /// A plateau whose values differ by a few ulps (as upsampled maps from two BLAS kernels do) points at
    /// its first pixel whichever of them is largest; a real maximum 1e-3 above the plateau still wins.
    @Test("the pointing game points at a plateau's first pixel, whatever its last-bit rounding")
    func pointingGamePlateau() throws {
        var maps = try GradCAM.compute(activations: Tensor(shape: [1, 1, 1, 1], value: 1), gradients: Tensor(shape: [1, 1, 1, 1], value: 1),
                                       imageHeight: 4, imageWidth: 4)
        // Object: the top-left pixel only. Plateau: pixels 0 (on the object) and 15 (off it).
        let mask = ObjectRegions.mask((0..<16).map { $0 == 0 ? 1 : 0 }, count: 1, height: 4, width: 4)
        for lastBit in [-1.0, 0, 1] {
            maps.upsampled = [Double](repeating: 0.1, count: 16)
            maps.upsampled[0] = 0.8
            maps.upsampled[15] = 0.8 + lastBit * 4e-7   // relative 5e-7 from pixel 0: the same value
            #expect(GradCAM.attention(maps, regions: mask).pointingHit[0] == 1, "last bit \(lastBit)")
        }
        maps.upsampled[15] = 0.8 * (1 + 1e-3)
        #expect(GradCAM.attention(maps, regions: mask).pointingHit[0] == 0)
    }

    @Test func severalEpochsMakeTheGridAndTheObjectCurve() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var files: [String] = []
        for (k, epoch) in [0, 10, 20].enumerated() {
            files.append(try TestDumps.write(DumpSpec(size: 16, epoch: epoch, seed: UInt64(k + 1)), to: folder + "/epoch-\(epoch).h5"))
        }
        let record = try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: files.reversed(), options: ["samples": "4"], out: folder + "/out")
        #expect(record.files.contains(folder + "/out/gradcam_epochs.png"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json"))) as! [String: Any]
        let attention = summary["attention_on_object"] as! [String: Any]
        #expect(attention["epochs"] as! [Int] == [0, 10, 20])
        #expect((attention["energy_inside"] as! [Double]).allSatisfy { $0 >= 0 && $0 <= 1 })
        if let dir = ProcessInfo.processInfo.environment["LOUPE_FIGURE_DIR"] {
            for name in ["gradcam_epochs.png", "gradcam_overlays.png", "gradcam_object.png"] {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
                try FileManager.default.copyItem(atPath: folder + "/out/" + name, toPath: dir + "/" + name)
            }
        }
    }

    @Test func differentProbeSetsAcrossEpochsAreRejected() throws {
        let folder = TestDumps.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try TestDumps.write(DumpSpec(epoch: 0), to: folder + "/a.h5")
        let b = try TestDumps.write(DumpSpec(epoch: 5, ids: (0..<24).map { "other-\($0)" }), to: folder + "/b.h5")
        #expect {
            try AnalyzerRunner(quiet: true).run(GradCAMAnalyzer(), files: [a, b], options: [:], out: folder + "/out")
        } throws: { "\($0)".contains("different probe sets") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/result.h5"))
    }
}
