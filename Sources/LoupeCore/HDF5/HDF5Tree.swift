/// A readable description of everything in a file: what `loupe inspect` prints.
public struct HDF5Tree: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var path: String
        public var kind: String  // "group" or "dataset"
        public var attributes: [String: String]
        public var shape: [Int]?
        public var dtype: String?
        public var chunk: [Int]?
        public var filters: [String]?
        public var storageBytes: Int?
        public var children: [Node]?
    }

    public var file: String
    public var root: Node

    /// Walks the whole file.
    public init(file: HDF5File) throws {
        self.file = file.path
        root = try HDF5Tree.describeGroup(file, path: "/")
    }

    static func attributes(_ object: HDF5Attributed) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try object.attributeNames() {
            if let value = try? object.attribute(name) { out[name] = value.description } else { out[name] = "<unreadable>" }
        }
        return out
    }

    static func describeGroup(_ group: HDF5Container, path: String) throws -> Node {
        var children: [Node] = []
        for name in try group.childNames() {
            let childPath = path == "/" ? "/" + name : path + "/" + name
            switch try group.childKind(name) {
            case .group:
                children.append(try describeGroup(try group.group(name), path: childPath))
            case .dataset:
                let d = try group.dataset(name)
                children.append(Node(path: childPath, kind: "dataset", attributes: try attributes(d), shape: d.shape,
                                     dtype: d.elementType.rawValue, chunk: d.chunk, filters: d.filters,
                                     storageBytes: d.storageSize, children: nil))
            case .other:
                children.append(Node(path: childPath, kind: "other", attributes: [:]))
            }
        }
        return Node(path: path, kind: "group", attributes: try attributes(group), children: children)
    }

    /// An indented tree, one object per line, attributes beneath.
    public func rendered() -> String {
        var lines = [file]
        func walk(_ node: Node, depth: Int) {
            let indent = String(repeating: "  ", count: depth)
            let name = node.path == "/" ? "/" : String(node.path.split(separator: "/").last ?? "")
            if node.kind == "dataset" {
                let shape = (node.shape ?? []).map(String.init).joined(separator: "×")
                var extra: [String] = []
                if let c = node.chunk { extra.append("chunks " + c.map(String.init).joined(separator: "×")) }
                if let f = node.filters, !f.isEmpty { extra.append(f.joined(separator: "+")) }
                if let b = node.storageBytes { extra.append(HDF5Tree.bytes(b)) }
                lines.append("\(indent)\(name)  \(node.dtype ?? "?") [\(shape.isEmpty ? "scalar" : shape)]" +
                             (extra.isEmpty ? "" : "  (" + extra.joined(separator: ", ") + ")"))
            } else {
                lines.append("\(indent)\(name)\(node.path == "/" ? "" : "/")")
            }
            for key in node.attributes.keys.sorted() {
                var value = node.attributes[key]!
                if value.count > 120 { value = String(value.prefix(117)) + "…" }
                lines.append("\(indent)  @\(key) = \(value)")
            }
            for child in node.children ?? [] { walk(child, depth: depth + 1) }
        }
        walk(root, depth: 0)
        return lines.joined(separator: "\n")
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }
}

import Foundation
