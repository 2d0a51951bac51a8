import Foundation
import LoupeCore
import Train

/// Which data the demo's study runs on, and what that changes: source and target classes, the nuisance
/// attribute the findings test against, and how the report describes it.
public enum DemoData: Codable, Equatable {
    /// Built-in creatures on random backgrounds: 12 source classes for pretraining, 8 target classes.
    case synthetic
    /// Fashion-MNIST (Debian's dataset-fashion-mnist): even labels pretrain, odd labels are the target.
    case fashionMNIST(directory: String)
    /// A user's class folders (Stanford Dogs layout works); needs `--pretrained`, keeps the first `classes`.
    case folder(directory: String, classes: Int)

    /// Parses the demo's `--data`: `synthetic`, `fashion-mnist[:DIR]` or `folder:DIR`.
    /// - Throws: `LoupeError.invalidInput` naming the accepted forms and what each needs.
    public init(parsing text: String, folderClasses: Int) throws {
        let spec = try DataSpec(parsing: text)
        switch spec {
        case .synthetic(let options) where options == SyntheticOptions.defaults:
            self = .synthetic
        case .synthetic:
            throw LoupeError.invalidInput("loupe demo chooses the synthetic set's sizes itself: pass --data synthetic without options "
                                          + "(loupe train takes synthetic:KEY=VALUE)")
        case .fashionMNIST(let directory):
            self = .fashionMNIST(directory: directory)
        case .folder(let directory):
            self = .folder(directory: directory, classes: folderClasses)
        case .cifar10:
            throw LoupeError.invalidInput("loupe demo runs on synthetic, fashion-mnist[:DIR] or folder:DIR; for CIFAR-10 use loupe train, "
                                          + "probe and compare (README: Other data)")
        }
    }

    /// The `--data` string of the underlying dataset.
    public var spec: String {
        switch self {
        case .synthetic: return "synthetic"
        case .fashionMNIST(let directory): return DataSpec.fashionMNIST(directory: directory).description
        case .folder(let directory, _): return DataSpec.folder(directory: directory).description
        }
    }

    /// What the findings compare clustering by class against.
    public var nuisance: String {
        switch self {
        case .synthetic: return "background colour"
        case .fashionMNIST: return "mean intensity"
        case .folder: return "mean colour"
        }
    }

    /// A phrase for the report's subtitle.
    public var subtitle: String {
        switch self {
        case .synthetic: return "synthetic creatures on random backgrounds"
        case .fashionMNIST: return "Fashion-MNIST"
        case .folder(let directory, _): return "image folders in \(directory)"
        }
    }

    /// Fashion-MNIST labels used to pretrain the backbone and for the study.
    static let fashionSourceClasses = [0, 2, 4, 6, 8]
    static let fashionTargetClasses = [1, 3, 5, 7, 9]
}
