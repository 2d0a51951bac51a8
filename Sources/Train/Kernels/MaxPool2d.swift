// MaxPool2d: the maximum over k×k windows (stride s, padding p with −∞, floor output size).
//
// Shapes:
//   N batch, C channels, H×W input, P×Q output (P = (H + 2p − k)/s + 1)
//   x     (N, C, H, W)
//   y     (N, C, P, Q)  output, owned by the layer
//   arg   (N, C, P, Q)  saved: index h·W + w of the chosen input within its plane (Int32)
// forward:  y = max over the window; ties go to the first (row-major) element, as PyTorch
// backward: dx[arg] += dy (dx zero elsewhere)

import CKernels
import LoupeCore

final class MaxPool2d: Layer {
    let name: String
    let kernel, stride, padding: Int

    struct Cache {
        var output = Tensor.empty
        var argmax: [Int32] = []
        var inputShape: [Int] = []
    }
    private(set) var cache = Cache()

    init(name: String, kernel: Int, stride: Int, padding: Int = 0) {
        self.name = name
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    var stateEntries: [StateEntry] { [] }
    func releaseCache() {}

    func outputShape(_ input: [Int]) -> [Int] {
        [input[0], ConvGeometry.outputSize(input[1], kernel: kernel, stride: stride, padding: padding),
         ConvGeometry.outputSize(input[2], kernel: kernel, stride: stride, padding: padding)]
    }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(x.rank == 4, "\(name): expected (N, C, H, W), got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = outputShape([c, h, w]), P = o[1], Q = o[2]
        var out = cache.output
        cache.output = .empty
        out.reuse([n, c, P, Q])
        var arg = cache.argmax
        cache.argmax = []
        if arg.count != out.count { arg = [Int32](repeating: 0, count: out.count) }
        let planes = n * c, k = kernel, s = stride, pad = padding
        let parts = Parallel.parts(ctx.threads, count: planes, itemCost: h * w)
        x.read { xp in out.write { yp in arg.withUnsafeMutableBufferPointer { ap in
            let ap = SharedPointer(ap.baseAddress!)
            Parallel.run(parts) { t in
                for plane in Parallel.slice(t, of: parts, count: planes) {
                    let src = xp + plane * h * w, dst = yp + plane * P * Q, idx = ap.advanced(by: plane * P * Q)
                    if k == 2 && s == 2 && pad == 0 {
                        MaxPool2d.pool2x2(src, w: w, p: P, q: Q, out: dst, argmax: idx)
                        continue
                    }
                    if k == 3 && s == 2 && pad <= 1 {
                        // ResNet's stem pool, whole plane (C: CKernels, separable, VL outputs per vector).
                        loupe_maxpool3x3s2(src, h, w, pad, P, Q, dst, idx)
                        continue
                    }
                    for u in 0..<P {
                        let h0 = u * s - pad, hLo = max(h0, 0), hHi = min(h0 + k, h)
                        if k == 3 && hHi - hLo == 3 {
                            // Full-height 3×3 windows: unrolled for the columns whose window is inside too.
                            let vLo = min(Q, (pad + s - 1) / s), vHi = max(vLo, min(Q, (w - 3 + pad) / s + 1))
                            MaxPool2d.row3x3(src + hLo * w, w: w, rowBase: hLo * w, stride: s, pad: pad,
                                             columns: vLo..<vHi, out: dst + u * Q, argmax: idx.advanced(by: u * Q))
                            for v in 0..<vLo {
                                MaxPool2d.window(src, w: w, rows: hLo..<hHi, v: v, stride: s, pad: pad, k: k,
                                                 out: dst + u * Q + v, argmax: idx.advanced(by: u * Q + v))
                            }
                            for v in vHi..<Q {
                                MaxPool2d.window(src, w: w, rows: hLo..<hHi, v: v, stride: s, pad: pad, k: k,
                                                 out: dst + u * Q + v, argmax: idx.advanced(by: u * Q + v))
                            }
                            continue
                        }
                        for v in 0..<Q {
                            let w0 = v * s - pad, wLo = max(w0, 0), wHi = min(w0 + k, w)
                            var best = -Float.infinity, bestIndex = hLo * w + wLo
                            for ih in hLo..<hHi {
                                let row = src + ih * w
                                for iw in wLo..<wHi {
                                    let value = row[iw]
                                    if value > best || value.isNaN { best = value; bestIndex = ih * w + iw }
                                }
                            }
                            dst[u * Q + v] = best
                            idx[u * Q + v] = Int32(bestIndex)
                        }
                    }
                }
            }
        } } }
        cache = Cache(output: out, argmax: arg, inputShape: x.shape)
        return out
    }

    /// One output of a window clipped to the image (the general, slower path).
    @inline(__always)
    static func window(_ src: UnsafePointer<Float>, w: Int, rows: Range<Int>, v: Int, stride s: Int, pad: Int, k: Int,
                       out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let w0 = v * s - pad, wLo = max(w0, 0), wHi = min(w0 + k, w)
        var best = -Float.infinity, bestIndex = rows.lowerBound * w + wLo
        for ih in rows {
            for iw in wLo..<wHi {
                let value = src[ih * w + iw]
                if value > best || value.isNaN { best = value; bestIndex = ih * w + iw }
            }
        }
        out.pointee = best
        argmax.pointee = Int32(bestIndex)
    }

    /// Outputs `columns` of one output row whose 3×3 windows lie inside the image; `top` is the window's
    /// first input row. Row-major scan order, first maximum wins, as the general path (C: CKernels).
    @inline(__always)
    static func row3x3(_ top: UnsafePointer<Float>, w: Int, rowBase: Int, stride s: Int, pad: Int, columns: Range<Int>,
                       out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        loupe_maxpool3x3_row(top, w, rowBase, s, pad, columns.lowerBound, columns.upperBound, out, argmax)
    }

    /// The common 2×2/2 window without padding: four comparisons per output, first maximum wins (C: CKernels,
    /// vector selects; the Swift loop, branching per comparison, took a tenth of a LittleConv step).
    @inline(__always)
    static func pool2x2(_ src: UnsafePointer<Float>, w: Int, p P: Int, q Q: Int, out: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<Int32>) {
        loupe_maxpool2x2(src, w, P, Q, out, argmax)
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(dy.shape == cache.output.shape, "\(name): dOut shape \(dy.shape) ≠ \(cache.output.shape)")
        var dx = ctx.pool.takeZeroed(cache.inputShape)
        let planes = cache.inputShape[0] * cache.inputShape[1]
        let inPlane = cache.inputShape[2] * cache.inputShape[3], outPlane = dy.shape[2] * dy.shape[3]
        let parts = Parallel.parts(ctx.threads, count: planes, itemCost: inPlane)
        dy.read { dyp in dx.write { dxp in cache.argmax.withUnsafeBufferPointer { ap in
            let ap = ap.baseAddress!
            Parallel.run(parts) { t in
                for plane in Parallel.slice(t, of: parts, count: planes) {
                    let g = dyp + plane * outPlane, d = dxp + plane * inPlane, idx = ap + plane * outPlane
                    for i in 0..<outPlane { d[Int(idx[i])] += g[i] }
                }
            }
        } } }
        return dx
    }
}
