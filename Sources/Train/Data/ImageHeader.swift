import Foundation

/// The size and colour layout of a PNG or JPEG file, read from its first bytes without decoding.
struct ImageHeader: Equatable {
    enum Format: Equatable { case png, jpeg }
    var format: Format
    var width: Int
    var height: Int
    /// True for gray (or gray + alpha) images.
    var isGray: Bool

    /// Reads the header of the file at `path`; nil when it is unreadable, not a PNG/JPEG, or a CMYK JPEG.
    /// - Complexity: a few small reads; JPEG segments before the frame header are skipped by seeking.
    static func read(_ path: String) -> ImageHeader? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var reader = ChunkReader(handle: handle)
        guard let magic = reader.bytes(at: 0, count: 3) else { return nil }
        if magic == [0x89, 0x50, 0x4E] { return png(&reader) }
        if magic == [0xFF, 0xD8, 0xFF] { return jpeg(&reader) }
        return nil
    }

    /// PNG: the IHDR chunk always comes first (signature 8 bytes, length 4, "IHDR" 4, then fields).
    private static func png(_ reader: inout ChunkReader) -> ImageHeader? {
        guard let b = reader.bytes(at: 0, count: 26),
              b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], b[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        let width = b[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = b[20..<24].reduce(0) { $0 << 8 | Int($1) }
        let colourType = b[25]
        guard width > 0, height > 0, [0, 2, 3, 4, 6].contains(colourType) else { return nil }
        return ImageHeader(format: .png, width: width, height: height, isGray: colourType == 0 || colourType == 4)
    }

    /// JPEG: walk the marker segments up to the first start-of-frame (SOFn, n ≠ 4, 8, 12).
    private static func jpeg(_ reader: inout ChunkReader) -> ImageHeader? {
        var offset = 2
        for _ in 0..<10_000 {
            guard var marker = reader.bytes(at: offset, count: 2), marker[0] == 0xFF else { return nil }
            while marker[1] == 0xFF {  // fill bytes
                offset += 1
                guard let next = reader.bytes(at: offset, count: 2) else { return nil }
                marker = next
            }
            let code = marker[1]
            if code == 0x01 || (0xD0...0xD7).contains(code) { offset += 2; continue }  // no length
            if code == 0xD9 || code == 0xDA { return nil }  // end of image / scan before any frame
            guard let lengthBytes = reader.bytes(at: offset + 2, count: 2) else { return nil }
            let length = Int(lengthBytes[0]) << 8 | Int(lengthBytes[1])
            guard length >= 2 else { return nil }
            if (0xC0...0xCF).contains(code) && code != 0xC4 && code != 0xC8 && code != 0xCC {
                guard let f = reader.bytes(at: offset + 4, count: 6) else { return nil }
                let height = Int(f[1]) << 8 | Int(f[2]), width = Int(f[3]) << 8 | Int(f[4])
                // 4 components (CMYK/YCCK) is valid JPEG, but TurboJPEG cannot convert it to RGB: skip it here
                // rather than fail in the middle of training.
                guard width > 0, height > 0, f[5] == 1 || f[5] == 3 else { return nil }
                return ImageHeader(format: .jpeg, width: width, height: height, isGray: f[5] == 1)
            }
            offset += 2 + length
        }
        return nil
    }
}

/// Reads byte ranges from a file through a 4 KiB window, seeking only when a range falls outside it.
private struct ChunkReader {
    let handle: FileHandle
    var windowStart = 0
    var window: [UInt8] = []

    init(handle: FileHandle) { self.handle = handle }

    mutating func bytes(at offset: Int, count: Int) -> [UInt8]? {
        if offset < windowStart || offset + count > windowStart + window.count {
            do {
                try handle.seek(toOffset: UInt64(offset))
                window = [UInt8](try handle.read(upToCount: max(4096, count)) ?? Data())
                windowStart = offset
            } catch { return nil }
            guard window.count >= count else { return nil }
        }
        let start = offset - windowStart
        return Array(window[start..<(start + count)])
    }
}
