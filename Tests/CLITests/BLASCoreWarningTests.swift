import CKernels
import Foundation
import Testing

@Suite struct BLASCoreWarningTests {
    /// Prescott's kernels are 128 bits wide: narrower than any CPU with AVX2, as wide as a baseline one.
    @Test func aForcedNarrowCoreIsReportedOnComputeCommandsOnly() throws {
        let wider = loupe_isa_supported() != LOUPE_ISA_SSE2
        let forced = try loupe(["bench", "--help"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(forced.status == 0)
        #expect(forced.err.contains("warning: OPENBLAS_CORETYPE=Prescott") == wider, "stderr: \(forced.err)")
        let inspect = try loupe(["inspect", "--help"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(!inspect.err.contains("OPENBLAS_CORETYPE"))
        let unset = try loupe(["bench", "--help"])
        #expect(!unset.err.contains("OPENBLAS_CORETYPE"))
    }
}
