import Foundation

/// A JSON value with ordered object keys, written by hand so that key order is stable, NaN and ±∞
/// become `null` (JSON has no such numbers), and integers print without a decimal point.
public indirect enum JSONValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    /// A number; non-finite values become `null`.
    public static func double(_ v: Double) -> JSONValue { v.isFinite ? .number(v) : .null }
    public static func strings(_ s: [String]) -> JSONValue { .array(s.map { .string($0) }) }
    public static func doubles(_ v: [Double]) -> JSONValue { .array(v.map { .double($0) }) }
    public static func ints(_ v: [Int]) -> JSONValue { .array(v.map { .int($0) }) }

    /// The value under `key` of an object, or nil.
    public subscript(_ key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var doubleValue: Double? {
        switch self {
        case .number(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    /// Sets `key` in an object (replacing an earlier value), appending new keys at the end.
    public mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var pairs) = self else { self = .object([(key, value)]); return }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        self = .object(pairs)
    }

    public var description: String { serialized(pretty: true) }

    /// JSON text; `pretty` indents objects and arrays by one space per level as nbformat does.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = { (n: Int) in pretty ? String(repeating: " ", count: n) : "" }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let v): out += String(v)
        case .number(let v):
            if !v.isFinite { out += "null" } else if v == v.rounded(), abs(v) < 1e15 { out += String(format: "%.1f", v) } else { out += "\(v)" }
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad(indent + 1)
                item.write(into: &out, pretty: pretty, indent: indent + 1)
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += pad(indent) + "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in pairs.enumerated() {
                out += pad(indent + 1)
                JSONValue.quote(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(into: &out, pretty: pretty, indent: indent + 1)
                out += (i + 1 < pairs.count ? "," : "") + newline
            }
            out += pad(indent) + "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"  // safe inside an HTML <script> block
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        out += "\""
    }
}
