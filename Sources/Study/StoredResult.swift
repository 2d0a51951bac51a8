import Foundation
import LoupeCore

/// One analyzer's output folder as written by AnalyzerRunner (`summary.json`, `result.h5`), read with
/// typed accessors that fail loudly: a missing or renamed summary key, a missing dataset or a value of
/// the wrong kind throws an error naming the file and the key, so it can never become NaN and flip a
/// finding.
public struct StoredResult {
    public let folder: String
    public var summaryPath: String { folder + "/summary.json" }
    public var resultPath: String { folder + "/result.h5" }
    private let file: HDF5File

    /// Opens `folder/result.h5`.
    /// - Throws: `LoupeError.invalidInput` naming the file when it is missing or not HDF5.
    public init(folder: String) throws {
        self.folder = folder
        guard FileManager.default.fileExists(atPath: folder + "/result.h5") else {
            throw LoupeError.invalidInput("\(folder)/result.h5: no such file; the study reads every analyzer's result.h5 and summary.json")
        }
        file = try HDF5File.open(folder + "/result.h5")
    }

    /// summary.json decoded as `type` (whose decoder should demand every key it reads, see `present`).
    /// - Throws: `LoupeError.invalidInput` naming the file and the key (or the decoder's complaint).
    public func summary<T: Decodable>(_ type: T.Type) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: summaryPath)) } catch {
            throw LoupeError.invalidInput("\(summaryPath): cannot read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw LoupeError.invalidInput("\(summaryPath): \(StoredResult.describe(error)) (read as \(T.self)); the analyzer's summary and the study disagree")
        }
    }

    /// True when result.h5 has the dataset or group `path`.
    public func has(_ path: String) -> Bool { file.contains(path) }

    /// A numeric dataset of result.h5 as doubles.
    public func doubles(_ path: String) throws -> [Double] { try dataset(path).read(as: Double.self) }

    /// An integer dataset of result.h5.
    public func ints(_ path: String) throws -> [Int] { try dataset(path).read(as: Int64.self).map { Int($0) } }

    /// A 0/1 dataset of result.h5 as flags.
    /// - Throws: when a value is neither 0 nor 1.
    public func flags(_ path: String) throws -> [Bool] {
        try ints(path).map { v in
            guard v == 0 || v == 1 else { throw LoupeError.invalidInput("\(resultPath): \(path) holds \(v), expected 0 or 1") }
            return v == 1
        }
    }

    /// A string dataset of result.h5.
    public func strings(_ path: String) throws -> [String] { try dataset(path).readStrings() }

    private func dataset(_ path: String) throws -> HDF5Dataset {
        guard file.contains(path) else {
            throw LoupeError.invalidInput("\(resultPath): no dataset '\(path)'; the analyzer's result.h5 and the study disagree")
        }
        return try file.dataset(path)
    }

    /// "no key 'class.knn_accuracy'", "class.nmi: expected a number".
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.isEmpty ? "the top level" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let c): return "no key '\(path(c.codingPath + [key]))'"
        case .typeMismatch(let type, let c): return "'\(path(c.codingPath))' is not a \(type)"
        case .valueNotFound(let type, let c): return "'\(path(c.codingPath))' is null, expected a \(type)"
        case .dataCorrupted(let c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

extension KeyedDecodingContainer {
    /// A value whose key must be present; JSON null (how summaries write NaN) gives nil. Unlike
    /// `decodeIfPresent`, a missing or renamed key throws instead of reading as "undefined".
    func present<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no key '\(key.stringValue)'"))
        }
        return try decodeNil(forKey: key) ? nil : decode(T.self, forKey: key)
    }
}
