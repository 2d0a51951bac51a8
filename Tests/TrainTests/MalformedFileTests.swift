import Foundation
import LoupeCore
import LoupeTestSupport
import Testing
@testable import Train

/// Files no one here wrote: each malformed size is an error naming the file, never a trap or a
/// wrapped count (the release build runs without Swift's overflow checks in its kernels).
@Suite("Malformed safetensors and IDX files")
struct MalformedFileTests {
    /// A safetensors file with this header and `body` data bytes.
    func safetensors(_ header: String, body: Int, name: String = #function) throws -> String {
        let path = NSTemporaryDirectory() + "loupe-malformed-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(6)).safetensors"
        try safetensorsData(header: header, body: body).write(to: URL(fileURLWithPath: path))
        return path
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test("safetensors: reversed, negative and out-of-file data_offsets, a wrapping shape, a negative dimension, a huge header length", arguments: [
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[100,10]}}"#, 128, "do not make a range"),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, 16, "do not make a range"),
        (#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "points outside the file"),
        (#"{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,16]}}"#, 16, "does not fit in 64 bits"),
        (#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, 16, "does not fit in 64 bits"),
        (#"{"w":{"dtype":"F32","shape":[3,-1],"data_offsets":[0,16]}}"#, 16, "negative size"),
        (#"{"w":{"dtype":"F32","shape":[1073741824,1024],"data_offsets":[0,16]}}"#, 16, "more than one read may take"),
        (#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, 16, "16 bytes for 3 F32 values"),
    ])
    func safetensorsSizes(header: String, body: Int, expected: String) throws {
        let path = try safetensors(header, body: body)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = message { _ = try SafeTensors.read(path) }
        #expect(text.contains(path) && text.contains(expected), "\(text)")
    }

    @Test("a safetensors header length near 2^64 is refused, not wrapped")
    func headerLengthNear64Bits() throws {
        let path = NSTemporaryDirectory() + "loupe-malformed-length-\(UUID().uuidString.prefix(6)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}      ".utf8)).write(to: URL(fileURLWithPath: path))
        let text = message { _ = try SafeTensors.read(path) }
        #expect(text.contains("header length") && text.contains(path), "\(text)")
    }

    @Test("IDX: dimensions whose product overflows or exceeds the read cap are named errors")
    func idxSizes() {
        func idx(_ dims: [UInt32]) -> Data {
            var bytes: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
            return Data(bytes + [1, 2, 3, 4])
        }
        let overflow = message { _ = try IDXFile.parse(idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]), name: "big.idx") }
        #expect(overflow.contains("big.idx") && overflow.contains("does not fit in 64 bits"), "\(overflow)")
        let huge = message { _ = try IDXFile.parse(idx([0xFFFF_FFFF, 0x0FFF_FFFF]), name: "huge.idx") }
        #expect(huge.contains("huge.idx") && huge.contains("more than one read may take"), "\(huge)")
    }

    @Test("VOC: a size of 1e30, inf or nan is ignored, not converted with a trap")
    func vocHugeSizes() {
        for bad in ["1e30", "inf", "nan", "-9e18"] {
            let xml = "<annotation><size><width>\(bad)</width><height>\(bad)</height></size>"
                + "<object><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>10</xmax><ymax>12</ymax></bndbox></object></annotation>"
            let annotation = VOCAnnotation.parse(xml)
            #expect(annotation?.xmax == 10)
            #expect(annotation?.width == nil || bad == "-9e18", "\(bad) → \(String(describing: annotation?.width))")
            #expect(annotation?.box(width: 64, height: 48) != nil || bad == "-9e18")
        }
    }

    @Test("config.json: every rule names the key and its option, all problems at once")
    func configProblems() {
        var config = TrainConfig()
        config.batchSize = 0
        config.lr = .nan
        config.channels = []
        config.dumpEpochs = [config.epochs + 5]
        let problems = config.problems()
        for key in ["batchSize (--batch-size)", "lr (--lr)", "channels (--channels)", "dumpEpochs (--dump-epochs)"] {
            #expect(problems.contains { $0.hasPrefix(key) }, "\(key) not in \(problems)")
        }
        #expect(problems.count == 4, "\(problems)")
        #expect(TrainConfig().problems().isEmpty, "\(TrainConfig().problems())")
        #expect { try config.validate(source: "run/config.json") } throws: { "\($0)".hasPrefix("run/config.json: 4 problems") }
    }
}
