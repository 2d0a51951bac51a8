"""Layer names of a PyTorch model as Loupe spells them, and ``--layers`` patterns resolved against them.

A layer is one call of a module found by ``named_modules()``. A module called more than once in a
forward pass (torchvision's BasicBlock applies its one ``relu`` twice) gives one layer per call: the
last call keeps the plain name (``layer1.0.relu``, the block output) and earlier calls get ``:1``,
``:2``, … (``layer1.0.relu:1``, the first ReLU), exactly as Loupe names them. Layers are listed in the
order their calls finish, which is Loupe's order (children before the container holding them).
"""

from dataclasses import dataclass

import torch

from ._glob import fnmatch, has_magic

__all__ = ["Layer", "LayerError", "discover", "resolve", "check_names", "parse_patterns"]


class LayerError(ValueError):
    """A layer name or pattern that selects nothing; the message lists the valid names."""


@dataclass(frozen=True)
class Layer:
    name: str
    module_name: str
    call: int
    #: Per-sample output shape, e.g. (512, 7, 7); None when the module returns no tensor.
    shape: tuple

    @property
    def spatial(self):
        """Only C×h×w outputs are dumped (Grad-CAM needs channels and a map), as in ``loupe probe``."""
        return self.shape is not None and len(self.shape) == 3


def parse_patterns(layers):
    """``"layer4,layer3.*"`` or ``["layer4", "layer3.*"]`` → a list of stripped patterns."""
    if layers is None:
        return None
    if isinstance(layers, str):
        layers = layers.split(",")
    patterns = [str(p).strip() for p in layers]
    return [p for p in patterns if p]


def _split_call(name):
    base, sep, call = name.rpartition(":")
    if sep and call.isdigit() and int(call) >= 1:
        return base, int(call)
    return name, None


def check_names(patterns, model, aliases, label):
    """Fails early (before any data) on a plain name that is no module and no alias.

    Globs and ``name:k`` call numbers can only be checked once a forward pass has shown the layers.
    """
    modules = {n for n, _ in model.named_modules() if n}
    for p in patterns:
        if has_magic(p):
            continue
        base, _ = _split_call(p)
        if p not in aliases and base not in modules:
            raise LayerError(f"{label} has no layer '{p}'; try one of: {_summary(sorted(modules, key=_natural), aliases)}")


def discover(model, example):
    """Every layer of ``model`` for the input batch ``example``, in Loupe's order (one forward, no grad)."""
    calls, finished = {}, []
    names = {m: n for n, m in model.named_modules() if n}

    def hook(module, _inputs, output):
        calls[module] = calls.get(module, 0) + 1
        shape = tuple(output.shape[1:]) if torch.is_tensor(output) and output.is_floating_point() and output.dim() >= 1 else None
        finished.append((module, calls[module], shape))

    handles = [m.register_forward_hook(hook) for m in names]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in handles:
            h.remove()
    layers = []
    for module, call, shape in finished:
        base, total = names[module], calls[module]
        layers.append(Layer(base if call == total else f"{base}:{call}", base, call, shape))
    return layers


def resolve(patterns, layers, aliases, label, defaults):
    """The layers ``patterns`` select, in forward order, only C×h×w ones.

    ``patterns`` None means ``defaults`` (Loupe's defaults for a recognised architecture; otherwise
    every top-level module with a C×h×w output).

    Raises:
        LayerError: a glob matching nothing, an unknown name, or a name whose output is not C×h×w.
    """
    by_name = {layer.name: layer for layer in layers}
    all_names = [layer.name for layer in layers]
    if patterns is None:
        if defaults:
            patterns = list(defaults)
        else:
            chosen = [layer for layer in layers if "." not in layer.name and ":" not in layer.name and layer.spatial]
            if not chosen:
                raise LayerError(f"{label}: no top-level module has a C×h×w output; name the layers to dump "
                                 f"(layers=[...]); valid names: {_summary(all_names, aliases)}")
            return chosen
    chosen = set()
    for p in patterns:
        if has_magic(p):
            matches = [n for n in all_names if fnmatch(n, p)]
            if not matches:
                raise LayerError(f"layers '{p}' matches no layer of {label}; valid names: {_summary(all_names, aliases)}")
            chosen.update(matches)
            continue
        name = p if p in by_name else aliases.get(p)
        if name not in by_name:
            raise LayerError(f"{label} has no layer '{p}'; try one of: {_summary(all_names, aliases)}")
        if not by_name[name].spatial:
            shape = by_name[name].shape
            raise LayerError(f"layer '{p}' of {label} outputs {'no tensor' if shape is None else 'shape ' + str(shape)} per "
                             f"sample; only layers with C×h×w outputs can be dumped (use embedding='{name}' for a vector)")
        chosen.add(name)
    selected = [layer for layer in layers if layer.name in chosen and layer.spatial]
    if not selected:
        raise LayerError(f"layers {patterns} select no layer with a C×h×w output in {label}")
    return selected


def _natural(name):
    return [int(t) if t.isdigit() else t for t in name.replace(":", ".").split(".")]


def _summary(names, aliases):
    top = [n for n in names if "." not in n or n.startswith("features.")]
    if len(names) <= 40:
        top = list(names)
    text = ", ".join(top + sorted(aliases))
    return f"{text} (all {len(names)}: Probe.layer_names(images))"
