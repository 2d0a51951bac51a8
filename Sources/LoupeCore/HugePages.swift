// Transparent huge pages for the trainer's large buffers.
//
// Debian's kernel backs anonymous memory with 2 MB pages only where a program asks (THP "madvise" mode, as on the
// machines measured here). A ResNet-18 step at 112 px walks about 500 MB of activations, transformed tiles and
// scratch in strided planes: with 4 KB pages most of those walks miss the TLB (a Zen 5 core's second-level TLB
// maps 12 MB of 4 KB pages). Asking for huge pages on each large buffer before it is first touched gave
// ResNet-18 @112 1.032× on one thread (4 paired rounds) and 1.030× on two (6 rounds); @224 1.01×, @64 and
// LittleConv 1.00× (AMD EPYC Zen 5, 2026-12-07; docs/speed.md).

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Advice to the kernel that large buffers be backed by transparent huge pages.
public enum HugePages {
    /// Buffers of at least this many bytes are advised (smaller ones hold no whole aligned 2 MB page worth it).
    public static let minimumBytes = 4 << 20

    /// False when the environment sets LOUPE_NO_HUGEPAGES=1 (for benchmarking the two).
    public static let enabled = ProcessInfo.processInfo.environment["LOUPE_NO_HUGEPAGES"] == nil

    /// Advises huge pages for the whole 2 MB pages inside `bytes` bytes at `base`; call before first touch.
    /// Does nothing for small buffers, when disabled, or where the system has no such advice (the kernel's
    /// "never" mode ignores it too). The contents are unaffected either way.
    public static func advise(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard enabled, bytes >= minimumBytes else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, MADV_HUGEPAGE)
        #endif
    }

    /// `count` floats, each `value`, in an array whose storage was advised before it was written.
    public static func floats(repeating value: Float, count: Int) -> [Float] {
        guard count * MemoryLayout<Float>.stride >= minimumBytes else { return [Float](repeating: value, count: count) }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            advise(UnsafeMutableRawPointer(buffer.baseAddress!), bytes: count * MemoryLayout<Float>.stride)
            buffer.initialize(repeating: value)
            initialized = count
        }
    }
}
