"""``loupe-checkpoint`` files (docs/run-format.md, "Checkpoint") from and into PyTorch.

The layout is the model's ``state_dict`` under ``/state/<key>`` (float32; int64 for
``num_batches_tracked``) with the key order in the group's ``keys`` attribute, optimizer state under
``/optimizer/<slot>.<parameter name>``, ``/rng/state`` and ``/classes``.
"""

import json
from collections import OrderedDict
from dataclasses import dataclass, field

import h5py
import numpy as np
import torch

from . import _atomic
from ._arch import detect
from ._probe import _rank_zero_only, _version, unwrap

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "Checkpoint"]

FORMAT = "loupe-checkpoint"
FORMAT_VERSION = "1.0"
_STRING = h5py.string_dtype("utf-8")


@dataclass
class Checkpoint:
    """A Loupe checkpoint read into PyTorch tensors."""

    model: str
    epoch: int
    num_classes: int
    in_channels: int
    image_size: int
    model_options: dict
    seed: int
    classes: list
    #: The model's state_dict (torchvision keys, PyTorch shapes), in the order it was written.
    state: OrderedDict
    optimizer_type: str = "none"
    optimizer_step: int = 0
    #: ``"<slot>.<parameter name>"`` → tensor, e.g. ``"exp_avg.fc.bias"``.
    optimizer_state: dict = field(default_factory=dict)
    writer: str = ""


def save_checkpoint(model, path, epoch, optimizer=None, classes=None, image_size=None, seed=0, model_name=None):
    """Writes ``model`` (and ``optimizer``) as a ``loupe-checkpoint`` file, crash-safe; returns ``path``.

    ``model`` is recorded as ``resnet18`` or ``littleconv`` when its structure is one Loupe can run (then
    ``loupe probe`` and ``loupe evaluate`` re-probe it, and ``image_size``, the square input size they
    rebuild inputs at, is required), else ``unknown``. ``classes`` are the class names, index = label.
    Under ``torch.distributed`` only rank 0 writes; the other ranks wait at a barrier.

    Raises:
        ValueError: ``classes`` that do not fit the model's outputs, a bad ``model_name``, no ``image_size``
            for ResNet-18 or LittleConv.
        OSError: the folder cannot be written.
    """
    model = unwrap(model)
    arch = detect(model)
    name = model_name or arch.name
    if model_name is not None and arch.known and model_name != arch.name:
        raise ValueError(f"model_name '{model_name}' but the model is structurally {arch.name}")
    if model_name in ("resnet18", "littleconv") and not arch.known:
        raise ValueError(f"model_name '{model_name}': the model does not have Loupe's {model_name} structure, so Loupe "
                         f"could not run it; leave model_name unset (recorded as 'unknown')")
    if arch.known and name == arch.name and not (isinstance(image_size, int) and image_size >= 1):
        raise ValueError(f"save_checkpoint of a {arch.name} needs image_size= (the square input size in pixels, e.g. 224): "
                         f"loupe probe and loupe evaluate rebuild the inputs at that size")
    num_classes = arch.num_classes
    if classes is not None:
        classes = [str(c) for c in classes]
        if num_classes and len(classes) != num_classes:
            raise ValueError(f"classes has {len(classes)} names; the model has {num_classes} outputs")
        num_classes = len(classes)
    else:
        classes = [str(i) for i in range(num_classes)]
    arch.num_classes = num_classes
    with _rank_zero_only() as writes:
        if writes:
            _write(model, path, arch, name, epoch, optimizer, classes, image_size, seed)
    return path


def _write(model, path, arch, name, epoch, optimizer, classes, image_size, seed):
    _atomic.prepare_folder(path, "checkpoint")
    temporary = _atomic.temporary_path(path)
    state = model.state_dict()
    try:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["writer"] = f"loupe_torch {_version()}"
            f.attrs["model"] = name
            f.attrs["epoch"] = int(epoch)
            f.attrs["num_classes"] = int(arch.num_classes)
            f.attrs["in_channels"] = int(arch.in_channels)
            f.attrs["image_size"] = int(image_size or 0)
            f.attrs["model_options"] = arch.model_options()
            f.attrs["seed"] = int(seed)
            group = f.create_group("state")
            group.attrs.create("keys", np.array(list(state), dtype=object), dtype=_STRING)
            for key, tensor in state.items():
                group.create_dataset(key, data=_stored(key, tensor))
            opt = f.create_group("optimizer")
            opt.attrs["type"] = _optimizer_type(optimizer)
            opt.attrs["step"] = int(epoch)
            if optimizer is not None:
                for key, tensor in _optimizer_state(model, optimizer):
                    opt.create_dataset(key, data=tensor)
            rng = f.create_dataset("rng/state", data=np.zeros(4, dtype=np.uint64))
            rng.attrs["seed"] = int(seed)
            f.create_dataset("classes", data=np.array(classes, dtype=object), dtype=_STRING)
        _atomic.commit(temporary, path)
    except BaseException:
        _atomic.discard(temporary)
        raise


def _stored(key, tensor):
    t = tensor.detach().cpu()
    if key.endswith("num_batches_tracked") or not t.is_floating_point():
        return t.to(torch.int64).numpy() if t.dtype != torch.bool else t.numpy().astype(np.uint8)
    return t.to(torch.float32).numpy()


def _optimizer_type(optimizer):
    if optimizer is None:
        return "none"
    # AdamW is tested first: recent PyTorch makes it a subclass of Adam.
    for cls, label in ((torch.optim.AdamW, "adamw"), (torch.optim.Adam, "adam"), (torch.optim.SGD, "sgd")):
        if isinstance(optimizer, cls):
            return label
    return type(optimizer).__name__.lower()


def _optimizer_state(model, optimizer):
    """``(slot.parameter, float32 array)`` for every tensor or number in the optimizer's per-parameter state."""
    names = {id(p): n for n, p in model.named_parameters()}
    out = []
    index = 0
    for group in optimizer.param_groups:
        for p in group["params"]:
            name = names.get(id(p), f"param{index}")
            index += 1
            for slot, value in optimizer.state.get(p, {}).items():
                if torch.is_tensor(value):
                    array = value.detach().cpu().to(torch.float32).numpy()
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    array = np.asarray(value, dtype=np.float32)
                else:
                    continue
                out.append((f"{slot}.{name}", array))
    return out


def read_checkpoint(path, map_location="cpu"):
    """Reads a ``loupe-checkpoint`` file (Loupe's or loupe_torch's) into a :class:`Checkpoint`.

    Raises:
        ValueError: not a Loupe checkpoint, or a newer major format version than this package reads.
        OSError: the file cannot be opened.
    """
    with h5py.File(path, "r") as f:
        fmt = _text(f.attrs.get("format"))
        if fmt is None:
            raise ValueError(f"{path} has no 'format' attribute: not a Loupe checkpoint (see docs/run-format.md)")
        if fmt != FORMAT:
            raise ValueError(f"{path} is a '{fmt}' file, expected '{FORMAT}'")
        version = _text(f.attrs.get("format_version")) or "1.0"
        if int(version.split(".")[0]) > int(FORMAT_VERSION.split(".")[0]):
            raise ValueError(f"{path}: {FORMAT} version {version} is newer than loupe_torch {_version()} reads "
                             f"({FORMAT_VERSION}); upgrade loupe_torch")
        group = f["state"]
        keys = [_text(k) for k in group.attrs["keys"]] if "keys" in group.attrs else list(group.keys())
        state = OrderedDict()
        for key in keys:
            array = group[key][()]
            tensor = torch.from_numpy(np.array(array))
            state[key] = tensor.to(map_location) if map_location is not None else tensor
        optimizer_state, opt_type, opt_step = {}, "none", 0
        if "optimizer" in f:
            opt = f["optimizer"]
            opt_type = _text(opt.attrs.get("type")) or "none"
            opt_step = int(opt.attrs.get("step", 0))
            for key in opt.keys():
                optimizer_state[key] = torch.from_numpy(np.array(opt[key][()]))
        options = _text(f.attrs.get("model_options")) or "{}"
        try:
            options = json.loads(options)
        except ValueError:
            options = {}
        return Checkpoint(
            model=_text(f.attrs.get("model")) or "unknown", epoch=int(f.attrs.get("epoch", 0)),
            num_classes=int(f.attrs.get("num_classes", 0)), in_channels=int(f.attrs.get("in_channels", 3)),
            image_size=int(f.attrs.get("image_size", 0)), model_options=options, seed=int(f.attrs.get("seed", 0)),
            classes=[_text(c) for c in f["classes"][()]] if "classes" in f else [], state=state,
            optimizer_type=opt_type, optimizer_step=opt_step, optimizer_state=optimizer_state,
            writer=_text(f.attrs.get("writer")) or "")


def load_checkpoint(path, map_location="cpu"):
    """The ``state_dict`` of a ``loupe-checkpoint`` file, for ``model.load_state_dict``.

    ``num_batches_tracked`` is int64, everything else float32, in the order the writer recorded.
    """
    return read_checkpoint(path, map_location).state


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)
