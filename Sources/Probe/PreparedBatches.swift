import Foundation

/// A probe set's prepared batches (decoded, resized, normalised), kept for its next dump.
///
/// A run dumps the same probe set at several epochs, and the demo re-probes several checkpoints with one:
/// the batches are the same each time, and preparing them was 7 % of a LittleConv dump's compute on the
/// synthetic set (JPEG folders cost more). Batches are kept until they would pass `budget` bytes; later
/// ones are prepared every time, so memory stays bounded for large images or probe sets.
public final class PreparedBatches: @unchecked Sendable {
    /// 128 MiB: the whole default probe set (256 RGB images, 15 bytes a pixel kept, 16 with masks) up to about
    /// 181–187 px, its first batches above that.
    public static let defaultBudget = 128 << 20

    struct Key: Hashable {
        var index: Int
        var background, box, mask: Bool
    }

    let budget: Int
    private let lock = NSLock()
    private var kept: [Key: Prober.Batch] = [:]
    private(set) var keptBytes = 0

    init(budget: Int) { self.budget = budget }

    /// The batch for `key`, from `make` the first time (and kept if it fits).
    func batch(_ key: Key, make: () throws -> Prober.Batch) throws -> Prober.Batch {
        if let hit = lock.withLock({ kept[key] }) { return hit }
        let batch = try make()
        let bytes = PreparedBatches.bytes(of: batch)
        lock.withLock {
            if kept[key] == nil, keptBytes + bytes <= budget {
                kept[key] = batch
                keptBytes += bytes
            }
        }
        return batch
    }

    static func bytes(of batch: Prober.Batch) -> Int {
        let s = batch.samples
        return 4 * batch.input.count + s.images.count + (s.mask?.count ?? 0)
            + 4 * (s.meanRGB.count + (s.background?.count ?? 0) + (s.box?.count ?? 0)) + 16 * s.labels.count
    }
}
