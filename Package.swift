// swift-tools-version: 6.0
import PackageDescription

// Dependency rule (enforced here): Analyzers depend only on LoupeCore; Probe on Train and LoupeCore;
// Train never on Analyzers. Only LoupeCore imports the C libraries' modules for HDF5, PNG and JPEG.
//
// Every target builds with the ordinary -O, so Swift's overflow, bounds and nil checks stay on in the
// shipped build, and no target carries unsafeFlags (another package can depend on LoupeCore and Analyzers
// by version). -Ounchecked on Train and Probe was measured against -O side by side and bought nothing
// measurable (docs/analyzers.md, "Build flags"): the time goes to OpenBLAS and to loops whose checks the
// optimiser hoists.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "loupe", targets: ["loupe"]),
        .library(name: "LoupeCore", targets: ["LoupeCore"]),
        .library(name: "Analyzers", targets: ["Analyzers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CCairo", providers: [.apt(["libcairo2-dev"])]),
        .target(name: "LoupeCore", dependencies: ["CHDF5", "COpenBLAS", "CPNG", "CTurboJPEG"], swiftSettings: v5),
        // Loupe's own C kernels (not a library door): SSE2, AVX2 and AVX-512 variants of the hot loops
        // in one binary, chosen once from cpuid, since Swift compiles a function for one target only.
        .target(name: "CKernels"),
        .target(name: "Train", dependencies: ["LoupeCore", "CKernels"], swiftSettings: v5),
        .target(name: "Probe", dependencies: ["Train", "LoupeCore"], swiftSettings: v5),
        .target(name: "Analyzers", dependencies: ["LoupeCore", "CCairo", "CKernels"], swiftSettings: v5),
        .target(name: "CLISupport", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: v5),
        // `loupe bench`: the benchmark harness, apart from the executable.
        .target(
            name: "LoupeBench",
            dependencies: [
                "LoupeCore", "Train", "Probe", "Analyzers", "CLISupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: v5),
        // Fuzz targets for every file reader (make fuzz); an ordinary build replays saved inputs.
        .executableTarget(name: "loupe-fuzz", dependencies: ["LoupeCore", "Train", "Analyzers"], path: "Sources/LoupeFuzz", swiftSettings: v5),
        // The seed study behind `loupe demo`: plan, data, pipeline, findings and report (no product).
        .target(name: "Study", dependencies: ["LoupeCore", "Train", "Probe", "Analyzers"], swiftSettings: v5),
        .executableTarget(
            name: "loupe",
            dependencies: [
                "LoupeCore", "Train", "Probe", "Analyzers", "CLISupport", "LoupeBench", "Study", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: v5),
        // Helpers the test targets share (running a program, temporary folders, safetensors bytes).
        .target(name: "LoupeTestSupport", path: "Tests/LoupeTestSupport", swiftSettings: v5),
        .testTarget(name: "LoupeCoreTests", dependencies: ["LoupeCore", "LoupeTestSupport"], swiftSettings: v5),
        .testTarget(name: "TrainTests", dependencies: ["Train", "CKernels", "LoupeCore", "LoupeTestSupport"], exclude: ["Fixtures"], swiftSettings: v5),
        .testTarget(name: "ProbeTests", dependencies: ["Probe", "Train", "LoupeCore"], swiftSettings: v5),
        .testTarget(name: "AnalyzersTests", dependencies: ["Analyzers", "CKernels", "LoupeCore"], exclude: ["Fixtures"], swiftSettings: v5),
        .testTarget(name: "StudyTests", dependencies: ["Study", "Analyzers", "LoupeCore", "LoupeTestSupport"], swiftSettings: v5),
        .testTarget(name: "CLITests", dependencies: ["loupe", "LoupeCore", "LoupeTestSupport", "CKernels"], swiftSettings: v5),
    ]
)
