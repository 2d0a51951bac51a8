// Kernel: mixed-radix (2, 3, 4, 5) fast Fourier transform in single precision, for the interpolation grid of
// FFT-accelerated t-SNE (TSNE+Interpolation.swift; Linderman et al., Nat. Methods 16, 2019).
//
// Stockham autosort formulation (Cooley & Tukey, Math. Comp. 19, 1965; Stockham 1966): every stage reads one
// buffer and writes the other in natural order, so there is no bit-reversal pass. A stage of radix r over a
// sub-length `len` with stride s maps x[q + s·(p + j·len/r)] (j < r) to y[q + s·(r·p + k)] = DFT_r(x)_k · W_len^(p·k).
// The transform works on a batch of `width` independent columns stored side by side, so every butterfly runs
// over s·width contiguous lanes (the vectoriser's loop) — the 2-D transforms feed it cache-sized column blocks.
// The inverse reuses the forward code on swapped real and imaginary parts: swap(DFT(swap(x))) = n·IDFT(x).
// The butterflies are C (CKernels' fft_variant.h), compiled for SSE2, AVX2 and AVX-512 and chosen from cpuid:
// this file plans the stages and their twiddles.
//
// Shapes: re, im, scratchRe, scratchIm: length × width Float each; element k of column b at k·width + b.
import CKernels
import Foundation

/// Precomputed stages of a forward DFT, X_k = Σ_j x_j·e^(−2πi·jk/n), of one length n = 2^a·3^b·5^c.
struct FFTPlan {
    let length: Int
    /// Radix of each stage, first stage first.
    let radices: [Int]
    /// Offset of each stage's twiddles in `twiddleRe` / `twiddleIm`: W_len^(p·k) at offset + p·(r − 1) + k − 1.
    private let twiddleStart: [Int]
    private let twiddleRe: [Float]
    private let twiddleIm: [Float]

    /// Stage radices of n (4s first, then 2, 3, 5), or nil when n has another prime factor.
    static func radices(of n: Int) -> [Int]? {
        guard n >= 1 else { return nil }
        var rest = n, out: [Int] = []
        while rest % 4 == 0 { out.append(4); rest /= 4 }
        for r in [2, 3, 5] { while rest % r == 0 { out.append(r); rest /= r } }
        return rest == 1 ? out : nil
    }

    /// Smallest n' ≥ n with no prime factor above 5.
    static func goodSize(atLeast n: Int) -> Int {
        var m = max(1, n)
        while radices(of: m) == nil { m += 1 }
        return m
    }

    init(length n: Int) {
        guard let radices = FFTPlan.radices(of: n) else { preconditionFailure("FFT length \(n) has a prime factor above 5") }
        length = n
        self.radices = radices
        var start: [Int] = [], re: [Float] = [], im: [Float] = []
        var len = n
        for r in radices {
            start.append(re.count)
            let m = len / r
            for p in 0..<m {
                for k in 1..<r {
                    let angle = -2 * Double.pi * Double(p * k) / Double(len)
                    re.append(Float(cos(angle))); im.append(Float(sin(angle)))
                }
            }
            len = m
        }
        twiddleStart = start; twiddleRe = re; twiddleIm = im
    }

    /// Forward DFT of the `width` columns in (re, im); the scratch buffers hold length·width values each.
    /// Returns the pair of buffers holding the result: (re, im) or (scratchRe, scratchIm).
    /// - Complexity: O(length·log length·width).
    @discardableResult
    func forward(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, width: Int,
                 scratchRe: UnsafeMutablePointer<Float>, scratchIm: UnsafeMutablePointer<Float>,
                 level: loupe_isa = loupe_isa_active())
        -> (re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        var src = (re, im), dst = (scratchRe, scratchIm)
        var len = length, stride = 1
        twiddleRe.withUnsafeBufferPointer { twr in
            twiddleIm.withUnsafeBufferPointer { twi in
                for (stage, r) in radices.enumerated() {
                    let m = len / r
                    let wr = twr.baseAddress! + twiddleStart[stage], wi = twi.baseAddress! + twiddleStart[stage]
                    let run = stride * width
                    loupe_fft_stage_at(level, Int32(r), src.0, src.1, dst.0, dst.1, m, run, wr, wi)
                    swap(&src, &dst)
                    len = m
                    stride *= r
                }
            }
        }
        return src
    }

    /// Unnormalised inverse DFT (Σ_k X_k·e^(+2πi·jk/n)) of the `width` columns, by the forward code on swapped parts.
    /// - Complexity: O(length·log length·width).
    @discardableResult
    func inverse(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, width: Int,
                 scratchRe: UnsafeMutablePointer<Float>, scratchIm: UnsafeMutablePointer<Float>,
                 level: loupe_isa = loupe_isa_active())
        -> (re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        let out = forward(im, re, width: width, scratchRe: scratchIm, scratchIm: scratchRe, level: level)
        return (out.im, out.re)
    }
}
