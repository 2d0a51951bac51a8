// The single checker every HDF5 status passes through. HDF5's own stderr printing is switched off
// (`HDF5Library.start`); its messages are collected from the error stack into the thrown error.
import CHDF5
import Foundation

/// A failure in or around an HDF5 file, naming the file, the object path and what went wrong.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// What kind of failure this is, so callers can react without parsing text.
    public enum Kind: String, Sendable, Equatable {
        case fileNotFound, notHDF5, truncated, missingObject, wrongType, wrongShape
        case unsupportedFormat, newerVersion, libraryCall, locked
    }

    public var kind: Kind
    public var file: String
    public var object: String
    /// The library's own words, or Loupe's where the library said nothing.
    public var message: String

    public init(_ kind: Kind, file: String, object: String, message: String) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String {
        let where_ = object.isEmpty || object == "/" ? file : "\(file):\(object)"
        return "\(where_): \(message)"
    }
}

/// Where an HDF5 call is made: the file and object the error will name.
public struct HDF5Location: Sendable {
    public var file: String
    public var object: String
    public init(file: String, object: String) {
        self.file = file
        self.object = object
    }
}

enum HDF5Library {
    static let opened: Bool = { _ = H5open(); return true }()

    /// Silences HDF5's automatic error printing on the calling thread. The thread-safe build keeps error
    /// stacks and their printing settings per thread, so every thread that calls HDF5 needs this once.
    static func start() {
        _ = opened
        let key = "loupe.hdf5.silenced"
        let thread = Thread.current.threadDictionary
        if thread[key] == nil {
            _ = chdf5_silence_errors()
            thread[key] = true
        }
    }

    /// Drains the HDF5 error stack into one line.
    static func lastMessage() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBufferPointer { chdf5_last_error($0.baseAddress, $0.count) }
        if n == 0 { return "" }
        return condense(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    /// The part of an HDF5 error stack a user can act on: the operating system's message when a system
    /// call failed ("File too large (errno 27)"), else the innermost and outermost entries, so that a
    /// failed flush is one line, not twenty.
    static func condense(_ stack: String) -> String {
        let flat = stack.replacingOccurrences(of: "\n", with: " ")
        if let range = flat.range(of: "error message = '"), let end = flat[range.upperBound...].firstIndex(of: "'") {
            let system = String(flat[range.upperBound..<end])
            let errno = flat.range(of: "errno = ").map { flat[$0.upperBound...].prefix { $0.isNumber } }.map { " (errno \($0))" } ?? ""
            let entry = flat.prefix { $0 != ":" }
            return "\(entry): \(system)\(errno)"
        }
        let entries = flat.components(separatedBy: "; ").map { String($0.prefix(240)) }
        guard entries.count > 2 else { return entries.joined(separator: "; ") }
        return entries.first! + "; …; " + entries.last!
    }
}

/// Throws a typed error when an HDF5 call returned a negative status or id.
@discardableResult
func check<T: BinaryInteger>(_ status: T, _ what: @autoclosure () -> String, at location: HDF5Location,
                             kind: HDF5Error.Kind = .libraryCall) throws -> T {
    if status >= 0 { return status }
    HDF5Library.start()
    let library = HDF5Library.lastMessage()
    let text = library.isEmpty ? "\(what()) failed" : "\(what()) failed: \(library)"
    throw HDF5Error(kind, file: location.file, object: location.object, message: text)
}
