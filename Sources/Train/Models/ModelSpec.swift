import LoupeCore

/// Everything needed to rebuild a model's architecture (not its weights); goes into run configs.
public struct ModelSpec: Codable, Sendable, Equatable {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case littleconv, resnet18
    }

    public var architecture: Architecture
    public var numClasses: Int
    public var inputChannels: Int
    /// LittleConv only: output channels of the four conv stages.
    public var channels: [Int]
    /// ResNet-18 only: a 3×3 stride-1 stem without max pooling, for small images (CIFAR-style).
    public var smallInput: Bool
    /// Dropout probability before `fc` (0 = none, as in the PyTorch peers).
    public var dropout: Float

    public static let littleConvChannels = [32, 64, 128, 256]

    public init(architecture: Architecture, numClasses: Int, inputChannels: Int = 3,
                channels: [Int] = ModelSpec.littleConvChannels, smallInput: Bool = false, dropout: Float = 0) {
        self.architecture = architecture
        self.numClasses = numClasses
        self.inputChannels = inputChannels
        self.channels = channels
        self.smallInput = smallInput
        self.dropout = dropout
    }

    /// Parses a model name as the CLI takes it (`littleconv`, `resnet18`).
    /// - Throws: `LoupeError.invalidInput` naming the known models.
    public static func architecture(named name: String) throws -> Architecture {
        guard let a = Architecture(rawValue: name.lowercased()) else {
            throw LoupeError.invalidInput("unknown model '\(name)'; known models: "
                                          + Architecture.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return a
    }

    /// - Throws: `LoupeError.invalidInput` for values no model can be built with.
    public func validate() throws {
        guard numClasses >= 1 else { throw LoupeError.invalidInput("number of classes must be at least 1, got \(numClasses)") }
        guard inputChannels >= 1 else { throw LoupeError.invalidInput("input channels must be at least 1, got \(inputChannels)") }
        guard (0..<1).contains(dropout) else { throw LoupeError.invalidInput("dropout must be in [0, 1), got \(dropout)") }
        if architecture == .littleconv {
            guard !channels.isEmpty, channels.allSatisfy({ $0 >= 1 }) else {
                throw LoupeError.invalidInput("littleconv channels must be positive, got \(channels)")
            }
        }
    }
}
