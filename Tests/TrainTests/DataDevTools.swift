import Foundation
import LoupeCore
import Testing
@testable import Train

/// Developer tasks, run only when asked through the environment (they write files or take time):
///   LOUPE_CONTACT_SHEET=PATH  swift test --filter DataDevTools   writes the target-class contact sheet
@Suite struct DataDevTools {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LOUPE_CONTACT_SHEET"] != nil))
    func writeContactSheet() throws {
        let path = ProcessInfo.processInfo.environment["LOUPE_CONTACT_SHEET"]!
        let split = SyntheticSplit(rawValue: ProcessInfo.processInfo.environment["LOUPE_SPLIT"] ?? "target") ?? .target
        let data = try SyntheticDataset(SyntheticOptions(perClass: 12, split: split))
        let sheet = try data.contactSheet(columns: 12)
        try sheet.writePNG(path)
    }
}
