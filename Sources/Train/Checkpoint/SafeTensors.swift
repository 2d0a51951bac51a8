import Foundation
import LoupeCore

/// Reads and writes the `.safetensors` format (Hugging Face): an 8-byte little-endian header length,
/// a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the raw little-endian data.
///
/// This is what torchvision or timm weights look like once converted with the `safetensors` package, so
/// `loupe train --pretrained resnet18.safetensors` can start from ImageNet weights.
public enum SafeTensors {
    /// Loads every tensor as Float32 (F32, F16, BF16, F64, I64, I32, U8 are converted).
    public static func read(_ path: String) throws -> [(key: String, value: Tensor)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoupeError.io(path: path, message: "cannot read file")
        }
        return try parse(data, name: path)
    }

    /// Decodes safetensors bytes; `path` names them in error messages.
    public static func parse(_ data: Data, name path: String) throws -> [(key: String, value: Tensor)] {
        guard data.count >= 8 else { throw LoupeError.format(path: path, message: "too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength > 1, headerLength <= UInt64(data.count) - 8 else {
            throw LoupeError.format(path: path, message: "not a safetensors file (header length \(headerLength) does not fit)")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw LoupeError.format(path: path, message: "not a safetensors file (header is not a JSON object)")
        }
        let body = data.subdata(in: (8 + Int(headerLength))..<data.count)
        var out: [(key: String, value: Tensor)] = []
        for key in header.keys.sorted() where key != "__metadata__" {
            guard let entry = header[key] as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw LoupeError.format(path: path, message: "tensor '\(key)' has a malformed header entry")
            }
            let count = try InputLimits.elementCount(shape, elementSize: 4, path: path, object: "tensor '\(key)'")
            guard offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw LoupeError.format(path: path, message: "tensor '\(key)' has data_offsets \(offsets), which do not make a range")
            }
            guard offsets[1] <= body.count else {
                throw LoupeError.format(path: path, message: "tensor '\(key)' points outside the file (data_offsets \(offsets), \(body.count) data bytes; truncated?)")
            }
            let bytes = body.subdata(in: offsets[0]..<offsets[1])
            let values: [Float]
            func load<T>(_ type: T.Type, _ convert: (T) -> Float) throws -> [Float] {
                guard bytes.count / MemoryLayout<T>.size == count, bytes.count % MemoryLayout<T>.size == 0 else {
                    throw LoupeError.format(path: path, message: "tensor '\(key)': \(bytes.count) bytes for \(count) \(dtype) values")
                }
                return bytes.withUnsafeBytes { raw in (0..<count).map { convert(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) } }
            }
            switch dtype {
            case "F32": values = try load(Float.self) { $0 }
            case "F64": values = try load(Double.self) { Float($0) }
            case "F16": values = try load(UInt16.self) { Float(Float16(bitPattern: $0)) }
            case "BF16": values = try load(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
            case "I64": values = try load(Int64.self) { Float($0) }
            case "I32": values = try load(Int32.self) { Float($0) }
            case "U8": values = try load(UInt8.self) { Float($0) }
            default: throw LoupeError.format(path: path, message: "tensor '\(key)' has dtype \(dtype), which Loupe does not read")
            }
            out.append((key, Tensor(shape: shape, storage: values)))
        }
        return out
    }

    /// Writes tensors as F32 (I64 for `num_batches_tracked`, as PyTorch stores it), crash-safe.
    public static func write(_ tensors: [(key: String, value: Tensor)], to path: String, metadata: [String: String] = [:]) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for (key, tensor) in tensors {
            let begin = body.count
            let dtype: String
            if Checkpoint.isCounter(key) {
                dtype = "I64"
                tensor.storage.map { Int64($0) }.withUnsafeBytes { body.append(contentsOf: $0) }
            } else {
                dtype = "F32"
                tensor.storage.withUnsafeBytes { body.append(contentsOf: $0) }
            }
            header[key] = ["dtype": dtype, "shape": tensor.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while headerData.count % 8 != 0 { headerData.append(0x20) }  // the format pads the header with spaces
        var length = UInt64(headerData.count).littleEndian
        var file = Data(bytes: &length, count: 8)
        file.append(headerData)
        file.append(body)
        try AtomicFile.write(file, to: path)
    }
}
