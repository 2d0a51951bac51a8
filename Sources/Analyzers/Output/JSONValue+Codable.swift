import Foundation
import LoupeCore

/// JSONValue reads and writes itself through Codable, so an analyzer whose summary has no fixed shape
/// (an external analyzer's) can declare `JSONValue` as its summary type.
extension JSONValue: AnalyzerSummary {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            // Decoders do not keep key order; sorting keeps it stable.
            self = .object(try object.allKeys.map(\.stringValue).sorted().map { ($0, try object.decode(JSONValue.self, forKey: Key(stringValue: $0))) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let i = try? single.decode(Int.self) { self = .int(i) }
        else if let d = try? single.decode(Double.self) { self = .number(d) }
        else { self = .string(try single.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .object(let pairs):
            var c = encoder.container(keyedBy: Key.self)
            for (k, v) in pairs { try c.encode(v, forKey: Key(stringValue: k)) }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for v in items { try c.encode(v) }
        default:
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .int(let i): try c.encode(i)
            case .number(let d): if d.isFinite { try c.encode(d) } else { try c.encodeNil() }
            case .string(let s): try c.encode(s)
            default: break
            }
        }
    }

    /// Parses JSON text.
    /// - Throws: `LoupeError.invalidInput` saying what `what` is and why it is not JSON.
    public static func parse(_ data: Data, what: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw LoupeError.invalidInput("\(what) is not valid JSON (\(error.localizedDescription))")
        }
    }

    /// The value at a dotted path (`class.accuracy`; a number indexes an array, `-1` the last item).
    public func at(_ dotted: String) -> JSONValue? {
        var v: JSONValue? = self
        for part in dotted.split(separator: ".").map(String.init) {
            guard let current = v else { return nil }
            if case .array(let items) = current, let i = Int(part) {
                let index = i < 0 ? items.count + i : i
                v = items.indices.contains(index) ? items[index] : nil
            } else {
                v = current[part]
            }
        }
        return v
    }
}
