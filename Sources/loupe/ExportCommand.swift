import ArgumentParser
import CLISupport
import Foundation
import LoupeCore
import Train

/// `loupe export`: a checkpoint's weights as `.safetensors`, which PyTorch loads into torchvision's model.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's state_dict as .safetensors (torchvision keys), for PyTorch.",
        discussion: """
        Examples:
          loupe export --checkpoint runs/ft/checkpoints/epoch-0016.h5 --out resnet18-ft.safetensors
        Then, in Python:
          model = torchvision.models.resnet18(num_classes=8)
          model.load_state_dict(safetensors.torch.load_file("resnet18-ft.safetensors"))
        """)

    @Option(help: "A checkpoint (RUN_DIR/checkpoints/epoch-NNNN.h5).") var checkpoint: String
    @Option(help: "Output .safetensors file.") var out: String

    func validate() throws {
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
    }

    func run() throws {
        try reportingErrors {
            let ckpt = try Checkpoint.read(checkpoint)
            try SafeTensors.write(ckpt.state, to: out, metadata: ["format": "pt", "model": ckpt.model, "epoch": String(ckpt.epoch),
                                                                  "classes": ckpt.classes.joined(separator: ",")])
            print(out)
        }
    }
}
