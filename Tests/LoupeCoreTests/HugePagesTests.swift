import LoupeCore
import Testing

/// Huge-page advice must never change what a buffer holds: tensors on both sides of the size threshold, and
/// advice on a buffer that starts and ends mid-page, keep their values.
@Suite struct HugePagesTests {
    @Test(arguments: [7, HugePages.minimumBytes / 4 - 1, HugePages.minimumBytes / 4 + 12_345])
    func tensorsHoldTheirValue(_ count: Int) {
        let t = Tensor(shape: [count], value: 1.5)
        #expect(t.count == count)
        #expect(t.storage.allSatisfy { $0 == 1.5 })
    }

    @Test func adviceKeepsContents() {
        let count = 3 * HugePages.minimumBytes / 4 + 3
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { p.deallocate() }
        for i in 0..<count { p[i] = Float(i % 977) }
        HugePages.advise(UnsafeMutableRawPointer(p + 1), bytes: (count - 2) * 4)
        #expect((0..<count).allSatisfy { p[$0] == Float($0 % 977) })
    }
}
