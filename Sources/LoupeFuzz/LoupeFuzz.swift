// Fuzzing entry points, built two ways (docs/fuzzing.md):
//
// - `make fuzz`: with `-sanitize=fuzzer,address -D LOUPE_FUZZ`, libFuzzer supplies `main` and calls
//   `LLVMFuzzerTestOneInput`; the target is chosen by the name the binary is started as
//   (`fuzz-safetensors` → safetensors), as OSS-Fuzz gives each target its own binary.
// - an ordinary build: `loupe-fuzz TARGET FILE…` replays saved inputs through the same target, so a
//   crash file reproduces without sanitizers.
import Foundation

#if LOUPE_FUZZ
nonisolated(unsafe) private var selected: FuzzTarget?

/// libFuzzer's driver (compiler-rt), run from our own entry point: SwiftPM links an executable's `main`
/// to `<module>_main`, so libFuzzer's `main` is never pulled in and the target is chosen first.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("loupe_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    let program = URL(fileURLWithPath: String(cString: argv![0]!)).lastPathComponent
    let name = ProcessInfo.processInfo.environment["LOUPE_FUZZ_TARGET"]
        ?? (program.hasPrefix("fuzz-") ? String(program.dropFirst(5)) : "")
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("loupe-fuzz: start me as fuzz-TARGET or set LOUPE_FUZZ_TARGET; targets: \(names)\n".utf8))
        return 2
    }
    selected = target
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in
        try? selected!.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
        return 0
    }
}
#else
@main
struct LoupeFuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, let target = FuzzTarget(rawValue: first), arguments.count >= 2 else {
            print("""
            usage: loupe-fuzz TARGET FILE...   replays saved inputs through one fuzz target
            (fuzzing itself: make fuzz SECONDS=600; see docs/fuzzing.md)

            targets:
            """ + FuzzTarget.allCases.map { "  \($0.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n"))
            exit(arguments.isEmpty || arguments == ["--help"] || arguments == ["-h"] ? 0 : 2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { print("\(path): cannot read"); exit(1) }
            do { try target.run(data); print("\(path): read") } catch { print("\(path): rejected: \(error)") }
        }
    }
}
#endif
