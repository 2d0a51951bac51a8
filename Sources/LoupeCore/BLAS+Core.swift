// Which OpenBLAS kernels run. OpenBLAS picks its kernel family ("core") once, when the library loads, from
// cpuid, unless OPENBLAS_CORETYPE names one. A forced core narrower than the CPU's vectors halves every GEMM
// (measured on an AMD EPYC Zen 5 with AVX-512: SGEMM 1024³ at 2 threads, 229 GFLOP/s with
// OPENBLAS_CORETYPE=Haswell against 419 with the Cooperlake core OpenBLAS picks itself), and nothing says so.
import COpenBLAS
import Foundation

extension BLAS {
    /// The kernel family OpenBLAS chose when it loaded (`Haswell`, `SkylakeX`, `Cooperlake`, …).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Widest vector registers an OpenBLAS core's kernels use, in bits; nil for a name not listed here.
    public static func vectorBits(ofCore name: String) -> Int? {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 512
        case "haswell", "zen", "excavator": 256
        case "sandybridge", "bulldozer", "piledriver", "steamroller": 256
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3",
             "barcelona", "nano", "bobcat", "katmai", "coppermine", "northwood", "banias", "athlon": 128
        default: nil
        }
    }

    /// A warning when OpenBLAS runs kernels narrower than this CPU's vectors because `OPENBLAS_CORETYPE` forced
    /// them; nil when nothing is forced, the core is as wide as the CPU, or the core's name is not known.
    /// - Parameters:
    ///   - core: the core OpenBLAS uses (`coreName`).
    ///   - forced: the value of `OPENBLAS_CORETYPE`, if set.
    ///   - cpuVectorBits: the widest vectors this CPU and its operating system support (128, 256 or 512).
    public static func coreWarning(core: String, forced: String?, cpuVectorBits: Int) -> String? {
        guard let forced, !forced.isEmpty, let bits = vectorBits(ofCore: core), bits < cpuVectorBits else { return nil }
        return """
        warning: OPENBLAS_CORETYPE=\(forced) makes OpenBLAS run its \(core) kernels (\(bits)-bit vectors) on a CPU \
        with \(cpuVectorBits)-bit vectors, so its matrix products can run up to \(cpuVectorBits / bits)× slower than \
        they could (the analyzers' neighbour search and PCA; on an AVX-512 CPU training uses Loupe's own). Unless \
        you set it on purpose, run without it: env -u OPENBLAS_CORETYPE loupe …
        """
    }
}
