import Foundation

/// Runs a program; returns exit status, stdout and stderr. Both pipes are read concurrently, so a chatty
/// child cannot block on a full pipe.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

/// A fresh temporary folder per test (`PREFIX-NAME-XXXXXXXX`), removed by the caller's `defer`.
public func makeTemporaryFolder(_ name: String = #function, prefix: String = "loupe-tests") -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "\(prefix)-\(safe)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The bytes of a safetensors file with this JSON header (padded to 8 bytes, as the format asks) and `body`
/// zero data bytes.
public func safetensorsData(header: String, body: Int) -> Data {
    var json = Data(header.utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var length = UInt64(json.count).littleEndian
    var file = Data(bytes: &length, count: 8)
    file.append(json)
    file.append(Data(repeating: 0, count: body))
    return file
}
