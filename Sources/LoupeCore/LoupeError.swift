/// Errors a user can act on: each says what was wrong and, where it helps, what to do.
public enum LoupeError: Error, CustomStringConvertible, Equatable {
    /// A file or folder could not be read or written.
    case io(path: String, message: String)
    /// Input that does not fit what was asked (bad option, wrong shapes, unknown name).
    case invalidInput(String)
    /// A file written in a newer or unknown format.
    case format(path: String, message: String)

    public var description: String {
        switch self {
        case .io(let path, let message): "\(path): \(message)"
        case .invalidInput(let message): message
        case .format(let path, let message): "\(path): \(message)"
        }
    }
}
