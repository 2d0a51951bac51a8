import LoupeCore
import Testing
@testable import Train

@Suite("Class subsets and per-class limits")
struct SubsetDatasetTests {
    let base = try! SyntheticDataset(SyntheticOptions(perClass: 10, size: 16, seed: 2))

    @Test("kept classes are renumbered in the order given, each limited to per-class samples of its own")
    func renumbersAndLimits() throws {
        let subset = try SubsetDataset(base, classes: [5, 1, 3], perClass: 4, seed: 9)
        #expect(subset.classes == [base.classes[5], base.classes[1], base.classes[3]])
        #expect(subset.count == 12)
        #expect(subset.classCounts == [4, 4, 4])
        for i in 0..<subset.count {
            let original = base.label(at: subset.indices[i])
            #expect(subset.label(at: i) == [5: 0, 1: 1, 3: 2][original])
            let sample = try subset.sample(at: i)
            #expect(sample.label == subset.label(at: i))
            #expect(sample.id == (try base.sample(at: subset.indices[i])).id)
        }
    }

    @Test("the choice depends on the seed alone")
    func seeded() throws {
        let a = try SubsetDataset(base, classes: nil, perClass: 3, seed: 1)
        let b = try SubsetDataset(base, classes: nil, perClass: 3, seed: 1)
        let c = try SubsetDataset(base, classes: nil, perClass: 3, seed: 2)
        #expect(a.indices == b.indices)
        #expect(a.indices != c.indices)
        #expect(a.classes == base.classes)
    }

    @Test("an unknown or repeated class is a clear error")
    func badClasses() {
        #expect(throws: LoupeError.self) { try SubsetDataset(base, classes: [0, 99], perClass: nil, seed: 0) }
        #expect(throws: LoupeError.self) { try SubsetDataset(base, classes: [1, 1], perClass: nil, seed: 0) }
        #expect(throws: LoupeError.self) { try SubsetDataset(base, classes: nil, perClass: 0, seed: 0) }
        do {
            _ = try SubsetDataset(base, classes: [42], perClass: nil, seed: 0)
        } catch {
            #expect("\(error)".contains("no class 42"))
        }
    }

    @Test("a run's config.json classes and per-class reach its data")
    func runDataUsesThem() throws {
        var config = TrainConfig()
        config.data = "synthetic:per-class=10,size=16,seed=2"
        config.classes = [2, 4]
        config.perClass = 6
        config.probeSize = 4
        let data = try RunData(config: config)
        #expect(data.dataset.classes == [base.classes[2], base.classes[4]])
        #expect(data.dataset.count == 12)
    }
}
