"""Recognises the two architectures Loupe itself can run (torchvision's ResNet-18 and LittleConv).

A model is recognised by its structure (module names, types and hyper-parameters), never by its class
name, so a hand-written copy counts as well as ``torchvision.models.resnet18``. Recognised models get
Loupe's names: ``model`` and ``model_options`` in checkpoints (so ``loupe probe`` and ``loupe evaluate``
can rebuild them), Loupe's default dump layers and its layer aliases (``block1`` … ``block4``, ``stem``,
``embedding``, ``logits``).
"""

import json
from dataclasses import dataclass, field

import torch.nn as nn

__all__ = ["Architecture", "detect"]

#: LittleConv's default stage widths, which Loupe also records for ResNet-18 (its `ModelSpec`).
_LITTLECONV_CHANNELS = [32, 64, 128, 256]


@dataclass
class Architecture:
    """What Loupe knows about a model: ``name`` is ``resnet18``, ``littleconv`` or ``unknown``."""

    name: str
    in_channels: int = 3
    num_classes: int = 0
    channels: list = field(default_factory=lambda: list(_LITTLECONV_CHANNELS))
    small_input: bool = False
    dropout: float = 0.0
    #: Alias → module name, as `loupe probe --layers` takes them.
    aliases: dict = field(default_factory=dict)
    #: Loupe's default dump layers (empty for unknown models).
    default_layers: list = field(default_factory=list)
    #: The module whose output is Loupe's `/embedding` (None: pool the last recorded layer).
    embedding: str = None

    @property
    def known(self):
        return self.name != "unknown"

    def model_options(self):
        """Loupe's `ModelSpec` as JSON, the checkpoint's `model_options` attribute."""
        if not self.known:
            return "{}"
        return json.dumps({"architecture": self.name, "numClasses": self.num_classes, "inputChannels": self.in_channels,
                           "channels": self.channels, "smallInput": self.small_input, "dropout": self.dropout})


def detect(model):
    """The :class:`Architecture` of ``model`` (an unwrapped ``nn.Module``)."""
    for probe in (_resnet18, _littleconv):
        try:
            arch = probe(model)
        except (AttributeError, TypeError, KeyError, IndexError):
            arch = None
        if arch is not None:
            return arch
    return Architecture("unknown", in_channels=_first_conv_channels(model), num_classes=_last_linear_outputs(model))


def _conv(m, cin, cout, k, stride, padding):
    return (isinstance(m, nn.Conv2d) and m.in_channels == cin and m.out_channels == cout
            and tuple(m.kernel_size) == (k, k) and tuple(m.stride) == (stride, stride)
            and tuple(m.padding) == (padding, padding) and tuple(m.dilation) == (1, 1) and m.groups == 1
            and m.bias is None and m.padding_mode == "zeros")


def _bn(m, c):
    return isinstance(m, nn.BatchNorm2d) and m.num_features == c and m.affine and m.track_running_stats and m.eps == 1e-5


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _maxpool(m, k, stride, padding):
    return (isinstance(m, nn.MaxPool2d) and _pair(m.kernel_size) == (k, k) and _pair(m.stride) == (stride, stride)
            and _pair(m.padding) == (padding, padding) and _pair(m.dilation) == (1, 1) and not m.ceil_mode)


def _gap(m):
    return isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) == (1, 1)


def _children(m):
    return dict(m.named_children())


def _resnet18(model):
    c = _children(model)
    if list(c) != ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]:
        return None
    cin = c["conv1"].in_channels
    small = _conv(c["conv1"], cin, 64, 3, 1, 1) and isinstance(c["maxpool"], nn.Identity)
    standard = _conv(c["conv1"], cin, 64, 7, 2, 3) and _maxpool(c["maxpool"], 3, 2, 1)
    if not (small or standard) or not _bn(c["bn1"], 64) or not isinstance(c["relu"], nn.ReLU) or not _gap(c["avgpool"]):
        return None
    width = 64
    for stage, out in enumerate([64, 128, 256, 512]):
        blocks = _children(c[f"layer{stage + 1}"])
        if not isinstance(c[f"layer{stage + 1}"], nn.Sequential) or list(blocks) != ["0", "1"]:
            return None
        for index, block in blocks.items():
            stride = 2 if stage > 0 and index == "0" else 1
            if not _basic_block(block, width, out, stride):
                return None
            width = out
    fc = c["fc"]
    if not isinstance(fc, nn.Linear) or fc.in_features != 512 or fc.bias is None:
        return None
    aliases = {f"block{i}": f"layer{i}" for i in range(1, 5)}
    aliases.update(stem="relu" if small else "maxpool", embedding="avgpool", logits="fc")
    return Architecture("resnet18", in_channels=cin, num_classes=fc.out_features, small_input=small, aliases=aliases,
                        default_layers=["layer1", "layer2", "layer3", "layer4"], embedding="avgpool")


def _basic_block(block, cin, cout, stride):
    c = _children(block)
    names = ["conv1", "bn1", "relu", "conv2", "bn2"]
    needs_downsample = stride != 1 or cin != cout
    if list(c) != names + (["downsample"] if needs_downsample else []):
        return False
    if not (_conv(c["conv1"], cin, cout, 3, stride, 1) and _bn(c["bn1"], cout) and isinstance(c["relu"], nn.ReLU)
            and _conv(c["conv2"], cout, cout, 3, 1, 1) and _bn(c["bn2"], cout)):
        return False
    if needs_downsample:
        d = _children(c["downsample"])
        if list(d) != ["0", "1"] or not _conv(d["0"], cin, cout, 1, stride, 0) or not _bn(d["1"], cout):
            return False
    return True


def _littleconv(model):
    c = _children(model)
    if list(c) not in (["features", "avgpool", "fc"], ["features", "avgpool", "dropout", "fc"]):
        return None
    features = list(c["features"].children()) if isinstance(c["features"], nn.Sequential) else []
    if not features or len(features) % 4 != 0 or not _gap(c["avgpool"]):
        return None
    cin = features[0].in_channels
    width, channels = cin, []
    for stage in range(len(features) // 4):
        conv, bn, relu, pool = features[4 * stage:4 * stage + 4]
        out = getattr(conv, "out_channels", None)
        if not (_conv(conv, width, out, 3, 1, 1) and _bn(bn, out) and isinstance(relu, nn.ReLU) and _maxpool(pool, 2, 2, 0)):
            return None
        channels.append(out)
        width = out
    dropout = 0.0
    if "dropout" in c:
        if type(c["dropout"]) is not nn.Dropout:
            return None
        dropout = float(c["dropout"].p)
    fc = c["fc"]
    if not isinstance(fc, nn.Linear) or fc.in_features != width or fc.bias is None:
        return None
    stages = len(channels)
    pools = [f"features.{4 * i + 3}" for i in range(stages)]
    aliases = {f"block{i + 1}": pools[i] for i in range(stages)}
    aliases.update(embedding="avgpool", logits="fc")
    return Architecture("littleconv", in_channels=cin, num_classes=fc.out_features, channels=channels, dropout=dropout,
                        aliases=aliases, default_layers=pools[:-1] + [f"features.{4 * stages - 2}", pools[-1]],
                        embedding="avgpool")


def _first_conv_channels(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    return 3


def _last_linear_outputs(model):
    out = 0
    for m in model.modules():
        if isinstance(m, nn.Linear):
            out = m.out_features
    return out
