import Foundation
import LoupeCore

/// A run directory as laid out in docs/run-format.md: config.json, metrics.csv, checkpoints/, dumps/.
public struct RunDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var configPath: String { path + "/" + RunFormat.Run.config }
    public var metricsPath: String { path + "/" + RunFormat.Run.metrics }
    public var checkpointsPath: String { path + "/" + RunFormat.Run.checkpoints }
    public var dumpsPath: String { path + "/" + RunFormat.Run.dumps }
    public func checkpointPath(epoch: Int) -> String { checkpointsPath + "/" + RunFormat.Run.checkpointName(epoch: epoch) }
    public func dumpPath(epoch: Int) -> String { dumpsPath + "/" + RunFormat.Run.dumpName(epoch: epoch) }

    /// Creates the folders; fails with a clear message when the location is not writable.
    public func create() throws {
        for folder in [path, checkpointsPath, dumpsPath] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw LoupeError.io(path: folder, message: "cannot create the run folder (\(error.localizedDescription)); choose another --out")
            }
        }
        guard access(path, W_OK) == 0 else { throw LoupeError.io(path: path, message: "run folder is not writable; choose another --out") }
    }

    public func writeConfig(_ config: TrainConfig) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(config), to: configPath)
    }

    public func readConfig() throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw LoupeError.io(path: configPath, message: "no config.json: no run was started here; start one with loupe train --out \(path) (see loupe train --help)")
        }
        let config: TrainConfig
        do { config = try JSONDecoder().decode(TrainConfig.self, from: data) } catch {
            throw LoupeError.format(path: configPath, message: "config.json is not readable: \(error)")
        }
        try config.validate(source: configPath)
        return config
    }

    /// Removes `.NAME.tmp-PID` files (see `AtomicFile`) left by writers that are no longer running, in
    /// the run folder and its checkpoints/, dumps/ and probes/ folders. Files of a live process stay.
    public func removeStaleTemporaryFiles() {
        for folder in [path, checkpointsPath, dumpsPath, path + "/" + RunFormat.Run.probes] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                guard let pid = AtomicFile.writerProcess(ofTemporaryName: name), !AtomicFile.isRunning(pid) else { continue }
                try? FileManager.default.removeItem(atPath: folder + "/" + name)
            }
        }
    }

    /// Epochs with a complete checkpoint, ascending (temporary files are ignored).
    public func checkpointEpochs() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsPath)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("epoch-"), name.hasSuffix(".h5") else { return nil }
            return Int(name.dropFirst(6).dropLast(3))
        }.sorted()
    }

    /// Epochs with a complete dump, ascending.
    public func dumpEpochs() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dumpsPath)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("epoch-"), name.hasSuffix(".h5") else { return nil }
            return Int(name.dropFirst(6).dropLast(3))
        }.sorted()
    }
}

/// One row of metrics.csv.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var lr: Double
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double, validationAccuracy: Double, lr: Double, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.lr = lr
        self.seconds = seconds
    }

    public static let header = "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"

    public var csvRow: String {
        String(format: "%d,%.6f,%.6f,%.6f,%.6f,%.8g,%.3f", epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, lr, seconds)
    }

    public init?(csvRow: String) {
        let f = csvRow.split(separator: ",").map(String.init)
        guard f.count == 7, let e = Int(f[0]), let values = Optional(f.dropFirst().compactMap(Double.init)), values.count == 6 else { return nil }
        self.init(epoch: e, trainLoss: values[0], trainAccuracy: values[1], validationLoss: values[2], validationAccuracy: values[3],
                  lr: values[4], seconds: values[5])
    }
}

extension RunDirectory {
    /// Rows of metrics.csv (empty when absent).
    public func readMetrics() -> [EpochMetrics] {
        guard let text = try? String(contentsOfFile: metricsPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { EpochMetrics(csvRow: String($0)) }
    }

    /// Rewrites metrics.csv crash-safe with `rows`.
    public func writeMetrics(_ rows: [EpochMetrics]) throws {
        let text = ([EpochMetrics.header] + rows.map(\.csvRow)).joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(text.utf8), to: metricsPath)
    }
}
