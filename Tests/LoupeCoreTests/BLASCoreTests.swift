import Testing
@testable import LoupeCore

@Suite struct BLASCoreTests {
    @Test func warnsOnlyWhenAForcedCoreIsNarrowerThanTheCPU() throws {
        let warning = try #require(BLAS.coreWarning(core: "Haswell", forced: "Haswell", cpuVectorBits: 512))
        #expect(warning.contains("OPENBLAS_CORETYPE=Haswell"))
        #expect(warning.contains("256-bit") && warning.contains("512-bit") && warning.contains("2×"))
        #expect(warning.contains("env -u OPENBLAS_CORETYPE"))
        // OpenBLAS's own choice, a core as wide as the CPU, an empty value and an unknown name stay quiet.
        #expect(BLAS.coreWarning(core: "Haswell", forced: nil, cpuVectorBits: 512) == nil)
        #expect(BLAS.coreWarning(core: "Haswell", forced: "Haswell", cpuVectorBits: 256) == nil)
        #expect(BLAS.coreWarning(core: "SkylakeX", forced: "SkylakeX", cpuVectorBits: 512) == nil)
        #expect(BLAS.coreWarning(core: "Haswell", forced: "", cpuVectorBits: 512) == nil)
        #expect(BLAS.coreWarning(core: "Whatever", forced: "Whatever", cpuVectorBits: 512) == nil)
        #expect(BLAS.coreWarning(core: "Prescott", forced: "Prescott", cpuVectorBits: 256)?.contains("2×") == true)
    }

    @Test func namesTheCoreItLoaded() {
        // Which core loaded depends on this machine and its environment; only that OpenBLAS names one is fixed.
        #expect(!BLAS.coreName.isEmpty)
        #expect(BLAS.coreName != "unknown")
    }
}
