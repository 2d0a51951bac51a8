// im2col / col2im: unfold a convolution's receptive fields into matrix columns and fold them back.
// (Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for Document
// Processing", 2006.)
//
// Shapes (one sample):
//   C channels, H×W input, k×k kernel, s stride, p padding, P×Q output; K = C·k·k; L = P·Q
//   x    (C, H, W)
//   col  (K, ld) with ld ≥ L: col[(c·k + i)·k + j][u·Q + v] = x[c, u·s − p + i, v·s − p + j], 0 outside
// forward:  im2col(x) → col          backward: col2im(dcol) → dx (accumulates: dx += fold(dcol))

import CKernels

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
    /// Unfolds one sample `x` into `col` (row stride `ld`), in C (CKernels: SSE2, AVX2 or AVX-512 from
    /// cpuid; the Swift loop, built for baseline x86-64, copied stride-2 rows one float at a time).
    /// - Complexity: O(K·L) memory traffic.
    static func unfold(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>, ld: Int) {
        loupe_im2col(x, g.c, g.h, g.w, g.kernel, g.stride, g.padding, g.p, g.q, col, ld)
    }

    /// Folds `col` (row stride `ld`) back onto one sample, adding into `dx` (C, as `unfold`).
    /// - Complexity: O(K·L) memory traffic.
    static func fold(_ col: UnsafePointer<Float>, _ g: ConvGeometry, ld: Int, addingInto dx: UnsafeMutablePointer<Float>) {
        loupe_col2im_add(col, ld, g.c, g.h, g.w, g.kernel, g.stride, g.padding, g.p, g.q, dx)
    }
}
