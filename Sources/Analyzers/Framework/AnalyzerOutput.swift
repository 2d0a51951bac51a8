import Foundation
import LoupeCore

/// Everything an analyzer produces, in memory. The runner turns it into files.
public struct AnalyzerOutput {
    /// Numbers for result.h5, by path inside it (e.g. `/epoch-0010/layer4/cam`).
    public var arrays: [ResultArray] = []
    /// Extra root attributes of result.h5.
    public var attributes: [(String, HDF5AttributeValue)] = []
    /// Headline figures for summary.json (an object).
    public var summary: JSONValue = .object([])
    /// Seeds of every random choice made, by what they seeded.
    public var seeds: [(String, UInt64)] = []
    /// The report, in reading order: text, figures, tables and interactive maps.
    public var blocks: [ReportBlock] = []

    public init() {}

    public mutating func add(_ array: ResultArray) { arrays.append(array) }
    public mutating func markdown(_ text: String) { blocks.append(.markdown(text)) }
    /// What the user must hear about on the console, not only in the report (samples left out, say);
    /// the runner prints each as a note and keeps it in summary.json's notes.
    public var warnings: [String] = []
    public mutating func warn(_ text: String) { warnings.append(text) }
    public mutating func figure(_ figure: Figure) { blocks.append(.figure(figure)) }
    public mutating func table(_ table: Table) { blocks.append(.table(table)) }
    public mutating func interactive(_ map: InteractiveMap) { blocks.append(.interactive(map)) }
    public mutating func set(_ key: String, _ value: JSONValue) { summary.set(key, value) }

    public var figures: [Figure] { blocks.compactMap { if case .figure(let f) = $0 { return f }; return nil } }
    public var tables: [Table] { blocks.compactMap { if case .table(let t) = $0 { return t }; return nil } }

    /// Every file name this output will write besides the four standard ones.
    public var fileNames: [String] {
        blocks.compactMap {
            switch $0 {
            case .figure(let f): return f.fileName
            case .table(let t): return t.fileName
            default: return nil
            }
        }
    }
}

/// One numeric or string array for result.h5.
public struct ResultArray {
    public enum Values {
        case float32([Float])
        case float64([Double])
        case int32([Int32])
        case int64([Int64])
        case uint8([UInt8])
        case strings([String])

        var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int32(let v): v.count
            case .int64(let v): v.count
            case .uint8(let v): v.count
            case .strings(let v): v.count
            }
        }
    }

    public var path: String
    public var values: Values
    public var shape: [Int]
    /// Attributes such as a `description` that says what the numbers are.
    public var attributes: [(String, HDF5AttributeValue)]

    public init(_ path: String, _ values: Values, shape: [Int]? = nil, description: String? = nil) {
        self.path = path
        self.values = values
        self.shape = shape ?? [values.count]
        attributes = description.map { [("description", .string($0))] } ?? []
    }

    public static func floats(_ path: String, _ v: [Float], shape: [Int]? = nil, _ description: String? = nil) -> ResultArray {
        ResultArray(path, .float32(v), shape: shape, description: description)
    }
    public static func doubles(_ path: String, _ v: [Double], shape: [Int]? = nil, _ description: String? = nil) -> ResultArray {
        ResultArray(path, .float64(v), shape: shape, description: description)
    }
    public static func ints(_ path: String, _ v: [Int], shape: [Int]? = nil, _ description: String? = nil) -> ResultArray {
        ResultArray(path, .int64(v.map(Int64.init)), shape: shape, description: description)
    }
    public static func strings(_ path: String, _ v: [String], _ description: String? = nil) -> ResultArray {
        ResultArray(path, .strings(v), description: description)
    }
}

/// A rendered figure: PNG bytes plus what the reports say about it.
public struct Figure {
    public var fileName: String
    public var png: Data
    public var title: String
    public var caption: String
    /// Python that re-draws the figure with matplotlib from result.h5 and summary.json: the source of
    /// its notebook cell (the PNG stays the cell's stored output). Nil: the cell shows the PNG.
    public var code: String?

    public init(fileName: String, png: Data, title: String, caption: String = "", code: String? = nil) {
        self.fileName = fileName
        self.png = png
        self.title = title
        self.caption = caption
        self.code = code
    }
}

/// A small table: shown as markdown in the reports, written as CSV when it has a file name.
public struct Table {
    public var title: String
    public var columns: [String]
    public var rows: [[String]]
    public var fileName: String?
    /// False for long tables that only go to their CSV file.
    public var showInReport = true

    public init(title: String, columns: [String], rows: [[String]], fileName: String? = nil) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.fileName = fileName
    }

    /// RFC 4180 CSV.
    public var csv: String {
        func cell(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([columns] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured markdown table.
    public var markdown: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var lines = ["| " + columns.map(cell).joined(separator: " | ") + " |",
                     "|" + columns.map { _ in "---" }.joined(separator: "|") + "|"]
        lines += rows.map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n")
    }
}

/// A 2-D map the HTML report draws as an interactive scatter: hovering a point shows its probe
/// image and label.
public struct InteractiveMap {
    public var title: String
    public var x: [Float]
    public var y: [Float]
    /// Category index per point (colours and legend).
    public var category: [Int]
    public var categoryNames: [String]
    /// Text shown on hover, per point.
    public var labels: [String]
    /// PNG thumbnails per point (may be empty when the file has no images).
    public var thumbnails: [Data]

    public init(title: String, x: [Float], y: [Float], category: [Int], categoryNames: [String], labels: [String], thumbnails: [Data]) {
        self.title = title
        self.x = x
        self.y = y
        self.category = category
        self.categoryNames = categoryNames
        self.labels = labels
        self.thumbnails = thumbnails
    }
}

/// One element of a report, in reading order.
public enum ReportBlock {
    case markdown(String)
    case figure(Figure)
    case table(Table)
    case interactive(InteractiveMap)
}

/// Number formatting shared by tables and reports.
public enum Fmt {
    /// `0.123`, `1.2e-07`, `—` for NaN.
    public static func g(_ v: Double, digits: Int = 3) -> String {
        if v.isNaN { return "—" }
        if v.isInfinite { return v > 0 ? "∞" : "−∞" }
        if v == 0 { return "0" }
        let a = abs(v)
        if v == v.rounded() && a >= 2 && a < 1e6 { return String(Int(v)) }
        if a >= 1e-3 && a < 1e5 { return String(format: "%.\(digits)f", v) }
        return String(format: "%.\(max(digits - 1, 1))e", v)
    }

    public static func percent(_ v: Double) -> String { v.isNaN ? "—" : String(format: "%.1f %%", 100 * v) }
}
