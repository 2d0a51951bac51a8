import Foundation
import LoupeCore
import Testing
@testable import Train

@Suite("--keep-checkpoints: which checkpoints a run keeps")
struct CheckpointRetentionTests {
    @Test("parsing: N, dumped, all; anything else says what is accepted")
    func parsing() throws {
        #expect(try CheckpointRetention(parsing: "dumped") == .dumped)
        #expect(try CheckpointRetention(parsing: "ALL") == .all)
        #expect(try CheckpointRetention(parsing: "3") == .last(3))
        for bad in ["0", "-1", "some", ""] {
            #expect { try CheckpointRetention(parsing: bad) } throws: { "\($0)".contains("N (a whole number ≥ 1") }
        }
    }

    @Test("the kept set: the newest always, plus the dump epochs or the newest N")
    func kept() {
        let epochs = [1, 2, 3, 4, 5, 6]
        #expect(CheckpointRetention.dumped.kept(epochs, dumpEpochs: [0, 3, 6]) == [3, 6])
        #expect(CheckpointRetention.dumped.kept([1, 2, 3, 4], dumpEpochs: [0, 3, 6]) == [3, 4])  // mid-run: the newest stays
        #expect(CheckpointRetention.dumped.kept(epochs, dumpEpochs: []) == [6])
        #expect(CheckpointRetention.last(2).kept(epochs, dumpEpochs: [3]) == [5, 6])
        #expect(CheckpointRetention.all.kept(epochs, dumpEpochs: []) == Set(epochs))
        #expect(CheckpointRetention.dumped.kept([], dumpEpochs: [1]).isEmpty)
    }

    func tinyConfig(epochs: Int, dumpEpochs: [Int]) -> TrainConfig {
        var c = TrainTests.tinyConfig(epochs: epochs)
        c.dumpEpochs = dumpEpochs
        return c
    }

    @Test("a run with `dumped` keeps the dump epochs' checkpoints and the newest, and a run killed mid-way resumes exactly")
    func dumpedRunResumes() throws {
        let root = NSTemporaryDirectory() + "loupe-keep-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = tinyConfig(epochs: 4, dumpEpochs: [0, 2, 4])
        let straight = try Trainer(config: config, run: RunDirectory(root + "/straight"))
        straight.quiet = true
        try straight.run()  // the library default keeps all
        #expect(RunDirectory(root + "/straight").checkpointEpochs() == [1, 2, 3, 4])

        let run = RunDirectory(root + "/kept")
        let first = try Trainer(config: config, run: run)
        first.quiet = true
        first.keepCheckpoints = .dumped
        var seen: [[Int]] = []
        first.epochHook = { _, epoch in
            seen.append(run.checkpointEpochs())
            if epoch == 3 { throw CancellationError() }  // "dies" after epoch 3's checkpoint, before pruning
        }
        #expect(throws: CancellationError.self) { try first.run() }
        // During the hook of epoch e the previous newest is still there: pruning waits for e's checkpoint.
        #expect(seen == [[], [1], [1, 2], [2, 3]], "\(seen)")
        let resumed = try Trainer.resume(run)
        resumed.quiet = true
        resumed.keepCheckpoints = .dumped
        #expect(resumed.resumePoint == .checkpoint(epoch: 3))
        try resumed.continueRun()
        #expect(run.checkpointEpochs() == [2, 4])
        for (x, y) in zip(straight.model.stateDict(), resumed.model.stateDict()) { #expect(x.1 == y.1, "\(x.0) differs after resume") }

        // --keep-checkpoints 1 on the same schedule keeps the newest alone.
        let one = RunDirectory(root + "/one")
        let t = try Trainer(config: config, run: one)
        t.quiet = true
        t.keepCheckpoints = .last(1)
        try t.run()
        #expect(one.checkpointEpochs() == [4])
    }
}
