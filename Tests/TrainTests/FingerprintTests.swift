import Foundation
import LoupeCore
import Testing
@testable import Train

@Suite("Numerics fingerprint and weights key: a cached backbone is reused only by the code that made it")
struct FingerprintTests {
    /// A tiny run: 3 classes of 16 px synthetic images, a narrow LittleConv, augmentation on (the
    /// fingerprint covers the rendering and the augmentation too).
    func tinyConfig() -> TrainConfig {
        var c = TrainConfig()
        c.model = "littleconv"
        c.channels = [4, 8, 8, 8]
        c.data = "synthetic:split=source,classes=3,per-class=4,size=16,seed=11"
        c.imageSize = 16
        c.batchSize = 4
        c.seed = 3
        c.threads = 2
        c.validationFraction = 0.25
        c.probeSize = 2
        return c
    }

    @Test("the fingerprint is the same on every call within one process")
    func stableWithinProcess() throws {
        let a = try Trainer.numericsFingerprint(tinyConfig())
        let b = try Trainer.numericsFingerprint(tinyConfig())
        #expect(a == b)
        #expect(!a.isEmpty)
    }

    @Test("the fingerprint follows what the step computes: learning rate, data, model seed, augmentation")
    func followsTheNumerics() throws {
        let base = try Trainer.numericsFingerprint(tinyConfig())
        var lr = tinyConfig(); lr.lr *= 2
        var data = tinyConfig(); data.data = "synthetic:split=source,classes=3,per-class=4,size=16,seed=12"
        var seed = tinyConfig(); seed.seed = 4
        var plain = tinyConfig(); plain.augment = false
        for changed in [lr, data, seed, plain] {
            #expect(try Trainer.numericsFingerprint(changed) != base)
        }
    }

    @Test("the weights key changes with every config field and with the numerics, and only then")
    func keyChangesWithEveryField() throws {
        let c = tinyConfig()
        let key = c.weightsKey(numerics: "abc")
        #expect(key == tinyConfig().weightsKey(numerics: "abc"))
        #expect(c.weightsKey(numerics: "abd") != key)
        var variants: [TrainConfig] = []
        func vary(_ change: (inout TrainConfig) -> Void) { var v = c; change(&v); variants.append(v) }
        vary { $0.epochs += 1 }
        vary { $0.lr = 2e-3 }
        vary { $0.weightDecay = 0 }
        vary { $0.schedule = "constant" }
        vary { $0.warmupEpochs = 1 }
        vary { $0.momentum = 0.8 }
        vary { $0.optimizer = "sgd" }
        vary { $0.batchSize = 8 }
        vary { $0.imageSize = 32 }
        vary { $0.seed = 4 }
        vary { $0.threads = 1 }
        vary { $0.augment = false }
        vary { $0.validationFraction = 0.1 }
        vary { $0.data = "synthetic:split=source,classes=3,per-class=4,size=16,seed=11,radius=0.3-0.4" }
        vary { $0.perClass = 3 }
        vary { $0.classes = [0, 1] }
        vary { $0.loupeVersion = "9.9.9" }
        let keys = variants.map { $0.weightsKey(numerics: "abc") }
        #expect(!keys.contains(key))
        #expect(Set(keys).count == keys.count)
    }
}
