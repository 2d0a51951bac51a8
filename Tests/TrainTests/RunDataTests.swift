import Foundation
import LoupeCore
import Testing
@testable import Train

@Suite("RunData: normalisation follows the config")
struct RunDataTests {
    func config(_ normalization: String?) -> TrainConfig {
        var c = TrainConfig()
        c.data = "synthetic:classes=2,per-class=4,size=16"
        c.imageSize = 16
        c.normalization = normalization
        return c
    }

    @Test("nil keeps the old rule (half without --pretrained); imagenet and half are taken as given; others are refused")
    func normalizationChoice() throws {
        #expect(try RunData(config: config(nil)).normalization == .half)
        #expect(try RunData(config: config("imagenet")).normalization == .imageNet)
        #expect(try RunData(config: config("half")).normalization == .half)
        #expect(throws: LoupeError.self) { try RunData(config: config("zscore")) }
    }

    @Test("a config.json without the field (older runs) still reads, as nil")
    func olderConfigsDecode() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config("imagenet"))) as! [String: Any]
        json.removeValue(forKey: "normalization")
        let decoded = try JSONDecoder().decode(TrainConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.normalization == nil)
    }
}
