// Kernel: mixed-radix (2, 3, 4, 5) fast Fourier transform in single precision, for the interpolation grid of
// FFT-accelerated t-SNE (TSNE+Interpolation.swift; Linderman et al., Nat. Methods 16, 2019).
//
// Stockham autosort formulation (Cooley & Tukey, Math. Comp. 19, 1965; Stockham 1966): every stage reads one
// buffer and writes the other in natural order, so there is no bit-reversal pass. A stage of radix r over a
// sub-length `len` with stride s maps x[q + s·(p + j·len/r)] (j < r) to y[q + s·(r·p + k)] = DFT_r(x)_k · W_len^(p·k).
// The transform works on a batch of `width` independent columns stored side by side, so every butterfly runs
// over s·width contiguous lanes (the vectoriser's loop) — the 2-D transforms feed it cache-sized column blocks.
// The inverse reuses the forward code on swapped real and imaginary parts: swap(DFT(swap(x))) = n·IDFT(x).
//
// Shapes: re, im, scratchRe, scratchIm: length × width Float each; element k of column b at k·width + b.
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
                 scratchRe: UnsafeMutablePointer<Float>, scratchIm: UnsafeMutablePointer<Float>)
        -> (re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        var src = (re, im), dst = (scratchRe, scratchIm)
        var len = length, stride = 1
        twiddleRe.withUnsafeBufferPointer { twr in
            twiddleIm.withUnsafeBufferPointer { twi in
                for (stage, r) in radices.enumerated() {
                    let m = len / r
                    let wr = twr.baseAddress! + twiddleStart[stage], wi = twi.baseAddress! + twiddleStart[stage]
                    let run = stride * width
                    switch r {
                    case 4: FFTPlan.radix4(src, dst, m: m, run: run, wr: wr, wi: wi)
                    case 2: FFTPlan.radix2(src, dst, m: m, run: run, wr: wr, wi: wi)
                    case 3: FFTPlan.radix3(src, dst, m: m, run: run, wr: wr, wi: wi)
                    default: FFTPlan.radix5(src, dst, m: m, run: run, wr: wr, wi: wi)
                    }
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
                 scratchRe: UnsafeMutablePointer<Float>, scratchIm: UnsafeMutablePointer<Float>)
        -> (re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>) {
        let out = forward(im, re, width: width, scratchRe: scratchIm, scratchIm: scratchRe)
        return (out.im, out.re)
    }

    typealias Buffers = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)

    // Each stage: for every p < m, inputs j at (p + j·m)·run and outputs k at (r·p + k)·run, `run` lanes each.
    // The p = 0 twiddles are 1 and are skipped (the whole last stage has m = 1).

    private static func radix2(_ x: Buffers, _ y: Buffers, m: Int, run: Int,
                               wr: UnsafePointer<Float>, wi: UnsafePointer<Float>) {
        for p in 0..<m {
            let a = (x.0 + p * run, x.1 + p * run), b = (x.0 + (p + m) * run, x.1 + (p + m) * run)
            let o0 = (y.0 + 2 * p * run, y.1 + 2 * p * run), o1 = (o0.0 + run, o0.1 + run)
            let w1r = wr[p], w1i = wi[p]
            if p == 0 {
                for t in 0..<run {
                    let ar = a.0[t], ai = a.1[t], br = b.0[t], bi = b.1[t]
                    o0.0[t] = ar + br; o0.1[t] = ai + bi
                    o1.0[t] = ar - br; o1.1[t] = ai - bi
                }
            } else {
                for t in 0..<run {
                    let ar = a.0[t], ai = a.1[t], br = b.0[t], bi = b.1[t]
                    o0.0[t] = ar + br; o0.1[t] = ai + bi
                    let dr = ar - br, di = ai - bi
                    o1.0[t] = dr * w1r - di * w1i; o1.1[t] = dr * w1i + di * w1r
                }
            }
        }
    }

    private static func radix4(_ x: Buffers, _ y: Buffers, m: Int, run: Int,
                               wr: UnsafePointer<Float>, wi: UnsafePointer<Float>) {
        for p in 0..<m {
            let i0 = (x.0 + p * run, x.1 + p * run)
            let i1 = (i0.0 + m * run, i0.1 + m * run), i2 = (i1.0 + m * run, i1.1 + m * run)
            let i3 = (i2.0 + m * run, i2.1 + m * run)
            let o0 = (y.0 + 4 * p * run, y.1 + 4 * p * run)
            let o1 = (o0.0 + run, o0.1 + run), o2 = (o1.0 + run, o1.1 + run), o3 = (o2.0 + run, o2.1 + run)
            let w1r = wr[3 * p], w1i = wi[3 * p], w2r = wr[3 * p + 1], w2i = wi[3 * p + 1]
            let w3r = wr[3 * p + 2], w3i = wi[3 * p + 2]
            let twiddled = p != 0
            for t in 0..<run {
                let a0r = i0.0[t], a0i = i0.1[t], a1r = i1.0[t], a1i = i1.1[t]
                let a2r = i2.0[t], a2i = i2.1[t], a3r = i3.0[t], a3i = i3.1[t]
                let t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i
                let t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i
                o0.0[t] = t0r + t2r; o0.1[t] = t0i + t2i
                // b1 = t1 − i·t3, b2 = t0 − t2, b3 = t1 + i·t3
                let b1r = t1r + t3i, b1i = t1i - t3r, b2r = t0r - t2r, b2i = t0i - t2i
                let b3r = t1r - t3i, b3i = t1i + t3r
                if twiddled {
                    o1.0[t] = b1r * w1r - b1i * w1i; o1.1[t] = b1r * w1i + b1i * w1r
                    o2.0[t] = b2r * w2r - b2i * w2i; o2.1[t] = b2r * w2i + b2i * w2r
                    o3.0[t] = b3r * w3r - b3i * w3i; o3.1[t] = b3r * w3i + b3i * w3r
                } else {
                    o1.0[t] = b1r; o1.1[t] = b1i
                    o2.0[t] = b2r; o2.1[t] = b2i
                    o3.0[t] = b3r; o3.1[t] = b3i
                }
            }
        }
    }

    private static func radix3(_ x: Buffers, _ y: Buffers, m: Int, run: Int,
                               wr: UnsafePointer<Float>, wi: UnsafePointer<Float>) {
        let c: Float = 0.866_025_403_784_438_6  // sin(2π/3)
        for p in 0..<m {
            let i0 = (x.0 + p * run, x.1 + p * run)
            let i1 = (i0.0 + m * run, i0.1 + m * run), i2 = (i1.0 + m * run, i1.1 + m * run)
            let o0 = (y.0 + 3 * p * run, y.1 + 3 * p * run)
            let o1 = (o0.0 + run, o0.1 + run), o2 = (o1.0 + run, o1.1 + run)
            let w1r = wr[2 * p], w1i = wi[2 * p], w2r = wr[2 * p + 1], w2i = wi[2 * p + 1]
            let twiddled = p != 0
            for t in 0..<run {
                let a0r = i0.0[t], a0i = i0.1[t], a1r = i1.0[t], a1i = i1.1[t], a2r = i2.0[t], a2i = i2.1[t]
                let sr = a1r + a2r, si = a1i + a2i, dr = a1r - a2r, di = a1i - a2i
                let mr = a0r - 0.5 * sr, mi = a0i - 0.5 * si
                o0.0[t] = a0r + sr; o0.1[t] = a0i + si
                // b1 = m − i·c·d, b2 = m + i·c·d
                let b1r = mr + c * di, b1i = mi - c * dr, b2r = mr - c * di, b2i = mi + c * dr
                if twiddled {
                    o1.0[t] = b1r * w1r - b1i * w1i; o1.1[t] = b1r * w1i + b1i * w1r
                    o2.0[t] = b2r * w2r - b2i * w2i; o2.1[t] = b2r * w2i + b2i * w2r
                } else {
                    o1.0[t] = b1r; o1.1[t] = b1i
                    o2.0[t] = b2r; o2.1[t] = b2i
                }
            }
        }
    }

    private static func radix5(_ x: Buffers, _ y: Buffers, m: Int, run: Int,
                               wr: UnsafePointer<Float>, wi: UnsafePointer<Float>) {
        let c1 = Float(cos(2 * Double.pi / 5)), c2 = Float(cos(4 * Double.pi / 5))
        let s1 = Float(sin(2 * Double.pi / 5)), s2 = Float(sin(4 * Double.pi / 5))
        for p in 0..<m {
            let i0 = (x.0 + p * run, x.1 + p * run)
            let i1 = (i0.0 + m * run, i0.1 + m * run), i2 = (i1.0 + m * run, i1.1 + m * run)
            let i3 = (i2.0 + m * run, i2.1 + m * run), i4 = (i3.0 + m * run, i3.1 + m * run)
            let o0 = (y.0 + 5 * p * run, y.1 + 5 * p * run)
            let o1 = (o0.0 + run, o0.1 + run), o2 = (o1.0 + run, o1.1 + run)
            let o3 = (o2.0 + run, o2.1 + run), o4 = (o3.0 + run, o3.1 + run)
            let w = 4 * p
            let w1r = wr[w], w1i = wi[w], w2r = wr[w + 1], w2i = wi[w + 1]
            let w3r = wr[w + 2], w3i = wi[w + 2], w4r = wr[w + 3], w4i = wi[w + 3]
            let twiddled = p != 0
            for t in 0..<run {
                let a0r = i0.0[t], a0i = i0.1[t]
                let t1r = i1.0[t] + i4.0[t], t1i = i1.1[t] + i4.1[t], t3r = i1.0[t] - i4.0[t], t3i = i1.1[t] - i4.1[t]
                let t2r = i2.0[t] + i3.0[t], t2i = i2.1[t] + i3.1[t], t4r = i2.0[t] - i3.0[t], t4i = i2.1[t] - i3.1[t]
                o0.0[t] = a0r + t1r + t2r; o0.1[t] = a0i + t1i + t2i
                let m1r = a0r + c1 * t1r + c2 * t2r, m1i = a0i + c1 * t1i + c2 * t2i
                let m2r = a0r + c2 * t1r + c1 * t2r, m2i = a0i + c2 * t1i + c1 * t2i
                let n1r = s1 * t3r + s2 * t4r, n1i = s1 * t3i + s2 * t4i
                let n2r = s2 * t3r - s1 * t4r, n2i = s2 * t3i - s1 * t4i
                // b1 = m1 − i·n1, b4 = m1 + i·n1, b2 = m2 − i·n2, b3 = m2 + i·n2
                let b1r = m1r + n1i, b1i = m1i - n1r, b4r = m1r - n1i, b4i = m1i + n1r
                let b2r = m2r + n2i, b2i = m2i - n2r, b3r = m2r - n2i, b3i = m2i + n2r
                if twiddled {
                    o1.0[t] = b1r * w1r - b1i * w1i; o1.1[t] = b1r * w1i + b1i * w1r
                    o2.0[t] = b2r * w2r - b2i * w2i; o2.1[t] = b2r * w2i + b2i * w2r
                    o3.0[t] = b3r * w3r - b3i * w3i; o3.1[t] = b3r * w3i + b3i * w3r
                    o4.0[t] = b4r * w4r - b4i * w4i; o4.1[t] = b4r * w4i + b4i * w4r
                } else {
                    o1.0[t] = b1r; o1.1[t] = b1i; o2.0[t] = b2r; o2.1[t] = b2i
                    o3.0[t] = b3r; o3.1[t] = b3i; o4.0[t] = b4r; o4.1[t] = b4i
                }
            }
        }
    }
}
