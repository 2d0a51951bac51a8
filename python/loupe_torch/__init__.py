"""loupe_torch: Loupe dumps and checkpoints from any PyTorch model.

>>> probe = loupe_torch.Probe(model, layers=["layer3", "layer4"], target="logit",
...                           classes=class_names, normalization=(mean, std))
>>> probe.dump(probe_loader, "runs/mine/dumps/epoch-0005.h5", epoch=5, dtype="float16")
>>> loupe_torch.save_checkpoint(model, "runs/mine/checkpoints/epoch-0005.h5", epoch=5, optimizer=opt,
...                             classes=class_names, image_size=224)
>>> model.load_state_dict(loupe_torch.load_checkpoint("runs/demo/pretrained/checkpoints/epoch-0016.h5"))

Then ``loupe analyze gradcam runs/mine/dumps/*.h5 --out out/gradcam``. The file format is Loupe's
docs/run-format.md; this package is its second writer, after Loupe itself.
"""

__version__ = "0.1.0"

from ._arch import Architecture, detect
from ._checkpoint import Checkpoint, load_checkpoint, read_checkpoint, save_checkpoint
from ._glob import fnmatch
from ._layers import LayerError
from ._probe import TARGETS, Probe, unwrap

__all__ = ["Probe", "TARGETS", "LayerError", "save_checkpoint", "load_checkpoint", "read_checkpoint", "Checkpoint",
           "Architecture", "detect", "unwrap", "fnmatch", "__version__"]
