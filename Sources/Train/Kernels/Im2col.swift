// im2col / col2im: unfold a convolution's receptive fields into matrix columns and fold them back.
// (Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for Document
// Processing", 2006.)
//
// Shapes (one sample):
//   C channels, H×W input, k×k kernel, s stride, p padding, P×Q output; K = C·k·k; L = P·Q
//   x    (C, H, W)
//   col  (K, ld) with ld ≥ L: col[(c·k + i)·k + j][u·Q + v] = x[c, u·s − p + i, v·s − p + j], 0 outside
// forward:  im2col(x) → col          backward: col2im(dcol) → dx (accumulates: dx += fold(dcol))

/// Geometry of one convolution (or pooling window) over a batch.
struct ConvGeometry: Equatable {
    let n, c, h, w: Int
    let kernel, stride, padding: Int
    let outChannels: Int

    var p: Int { ConvGeometry.outputSize(h, kernel: kernel, stride: stride, padding: padding) }
    var q: Int { ConvGeometry.outputSize(w, kernel: kernel, stride: stride, padding: padding) }

    /// PyTorch's floor((size + 2·padding − kernel)/stride) + 1, and 0 when the window does not fit.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        let span = size + 2 * padding - kernel
        return span < 0 ? 0 : span / stride + 1
    }
    /// Rows of a column matrix.
    var k: Int { c * kernel * kernel }
    /// Output positions per sample.
    var l: Int { p * q }
    var inputPlane: Int { c * h * w }
    /// A 1×1, stride-1, unpadded convolution is a plain matrix product on the input: no unfolding.
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

enum Im2col {
    @inline(__always) static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
    @inline(__always) static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Output columns `lo..<hi` whose input column `v·s − p + j` is inside `0..<w`.
    @inline(__always)
    static func validColumns(_ g: ConvGeometry, _ j: Int) -> (Int, Int) {
        let lo = max(0, ceilDiv(g.padding - j, g.stride))
        let hi = max(lo, min(g.q, floorDiv(g.w - 1 + g.padding - j, g.stride) + 1))
        return (lo, hi)
    }

    /// Unfolds one sample `x` into `col` (row stride `ld`).
    /// - Complexity: O(K·L) memory traffic.
    static func unfold(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>, ld: Int) {
        let k = g.kernel, s = g.stride, pad = g.padding, P = g.p, Q = g.q, H = g.h, W = g.w
        for c in 0..<g.c {
            for i in 0..<k {
                for j in 0..<k {
                    let row = col + ((c * k + i) * k + j) * ld
                    let (lo, hi) = validColumns(g, j)
                    for u in 0..<P {
                        let dst = row + u * Q
                        let ih = u * s - pad + i
                        if ih < 0 || ih >= H || lo == hi {
                            dst.update(repeating: 0, count: Q)
                            continue
                        }
                        let src = x + (c * H + ih) * W
                        if lo > 0 { dst.update(repeating: 0, count: lo) }
                        if s == 1 {
                            // An inline loop: rows are short, a memmove call per row costs more than the copy.
                            let from = src + (lo - pad + j), to = dst + lo
                            for v in 0..<(hi - lo) { to[v] = from[v] }
                        } else {
                            var iw = lo * s - pad + j
                            for v in lo..<hi { dst[v] = src[iw]; iw += s }
                        }
                        if hi < Q { (dst + hi).update(repeating: 0, count: Q - hi) }
                    }
                }
            }
        }
    }

    /// Folds `col` (row stride `ld`) back onto one sample, adding into `dx`.
    /// - Complexity: O(K·L) memory traffic.
    static func fold(_ col: UnsafePointer<Float>, _ g: ConvGeometry, ld: Int, addingInto dx: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, pad = g.padding, P = g.p, Q = g.q, H = g.h, W = g.w
        for c in 0..<g.c {
            for i in 0..<k {
                for j in 0..<k {
                    let row = col + ((c * k + i) * k + j) * ld
                    let (lo, hi) = validColumns(g, j)
                    if lo == hi { continue }
                    for u in 0..<P {
                        let ih = u * s - pad + i
                        if ih < 0 || ih >= H { continue }
                        let src = row + u * Q
                        let dst = dx + (c * H + ih) * W
                        if s == 1 {
                            let d = dst + (lo - pad + j), sv = src + lo
                            for v in 0..<(hi - lo) { d[v] += sv[v] }
                        } else {
                            var iw = lo * s - pad + j
                            for v in lo..<hi { dst[iw] += src[v]; iw += s }
                        }
                    }
                }
            }
        }
    }
}
