"""``Probe``: captures a probe set through any PyTorch model into a Loupe dump.

For every batch: one forward pass in eval mode with forward hooks on the chosen modules, the target
per sample (true-class logit, predicted-class logit, true-class probability or cross-entropy), then
``torch.autograd.grad`` of the summed target with respect to the captured outputs. That gives d target /
d activation per sample (samples do not interact in eval mode); no parameter gradient is computed or
touched.

Two details make the gradients right whatever the model does:

* A hook hands the rest of the network a *copy* of the captured output, so an in-place operation that
  follows (torchvision's ``ReLU(inplace=True)``, ``out += identity``) changes the copy, not the tensor
  whose value and gradient are recorded.
* Parameters are frozen for the pass; where a captured output needs no gradient (the lowest recorded
  layer of a frozen network, or any network during the pass) it becomes a leaf that requires one. So
  frozen backbones work, and backward stops at the lowest recorded layer, as in Loupe.
"""

import contextlib
import math
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from . import _atomic, _layers
from ._arch import detect
from ._writer import FORMAT, FORMAT_VERSION, DumpWriter, natural_run_name

__all__ = ["Probe", "TARGETS", "unwrap"]

TARGETS = ("logit", "logit-predicted", "prob", "loss")
_META_KEYS = ("background", "box", "mask", "mean_rgb")


def unwrap(model):
    """The module inside ``DistributedDataParallel``, ``DataParallel`` or ``torch.compile``."""
    from torch.nn.parallel import DataParallel, DistributedDataParallel
    while True:
        if isinstance(model, (DistributedDataParallel, DataParallel)):
            model = model.module
        elif hasattr(model, "_orig_mod") and isinstance(getattr(model, "_orig_mod"), torch.nn.Module):
            model = model._orig_mod
        else:
            return model


class Probe:
    """Writes Loupe dumps (``loupe-dump`` files) of a PyTorch classifier.

    Args:
        model: any ``nn.Module`` mapping a batch N×C×H×W to logits N×K (also when wrapped in
            ``DistributedDataParallel``, ``DataParallel`` or ``torch.compile``).
        layers: module names from ``named_modules()``, aliases and globs, as ``loupe probe --layers``
            takes them: a list or one comma-separated string (``"layer4,layer3.*"``). A module called
            twice per forward gives ``name:1`` (first call) and ``name`` (last). Default: Loupe's default
            layers for ResNet-18 and LittleConv, else every top-level module with a C×h×w output.
        target: what the gradients are of: ``logit`` (true class), ``logit-predicted``, ``prob``
            (true-class softmax probability) or ``loss`` (cross-entropy).
        classes: class names, index = label (default ``"0"``, ``"1"``, …).
        normalization: ``(mean, std)`` per channel that the loader's float images were normalised with
            (``transforms.Normalize(mean, std)``). It is undone to store the pixels, and applied by the
            probe itself to uint8 batches.
        embedding: a module name whose output (global-average-pooled when C×h×w) is ``/embedding``.
            Default: Loupe's (``avgpool``) for ResNet-18 and LittleConv, else the last recorded layer,
            pooled.
        model_name: the dump's ``model`` attribute (default: ``resnet18``, ``littleconv`` or ``unknown``,
            recognised from the structure).
        device: where inputs go (default: the device of the model's first parameter or buffer).

    Raises:
        LayerError (a ValueError): a layer name that is no module of ``model``, listing the valid ones.
        ValueError: an unknown target, or a malformed normalization.
    """

    def __init__(self, model, layers=None, target="logit", classes=None, normalization=None, embedding=None,
                 model_name=None, device=None):
        self.model = unwrap(model)
        self.arch = detect(self.model)
        self.model_name = model_name or self.arch.name
        if target not in TARGETS:
            raise ValueError(f"unknown target '{target}': use {', '.join(TARGETS)}")
        self.target = target
        self.classes = None if classes is None else [str(c) for c in classes]
        self.normalization = _normalization(normalization)
        self.patterns = _layers.parse_patterns(layers)
        if self.patterns is not None and not self.patterns:
            raise _layers.LayerError("layers is empty: name at least one layer, or pass None for the defaults")
        self._label = self.model_name
        _layers.check_names(self.patterns or [], self.model, self.arch.aliases, self._label)
        self.embedding = embedding if embedding is not None else self.arch.embedding
        if embedding is not None:
            _layers.check_names([embedding], self.model, {}, self._label)
        self.device = device
        self._layout = {}

    # MARK: layers

    def layer_names(self, images):
        """Every layer for input ``images`` as ``(name, per-sample shape)``, in forward order (``--list-layers``)."""
        x = self._network_input(self._as_batch(images)[0])
        with self._probing():
            return [(layer.name, layer.shape) for layer in self._discover(x)]

    def resolve_layers(self, images):
        """The layers a dump of ``images`` records, as ``(name, per-sample shape)``."""
        x = self._network_input(self._as_batch(images)[0])
        with self._probing():
            return [(layer.name, layer.shape) for layer in self._plan(x)[0]]

    def _discover(self, x):
        key = (tuple(x.shape[1:]), x.dtype, x.device)
        if key not in self._layout:
            self._layout[key] = _layers.discover(self.model, x[:1])
        return self._layout[key]

    def _plan(self, x):
        layers = self._discover(x)
        chosen = _layers.resolve(self.patterns, layers, self.arch.aliases, self._label, self.arch.default_layers)
        embedding = None
        if self.embedding is not None:
            matches = [layer for layer in layers if layer.name == self.embedding]
            if not matches or matches[0].shape is None:
                raise _layers.LayerError(f"embedding '{self.embedding}' is no layer of {self._label} with a tensor output")
            embedding = matches[0]
        return chosen, embedding

    # MARK: dumping

    def dump(self, loader, path, epoch=0, dtype="float16", run=None, seed=0, compression=None, progress=False):
        """Writes the dump of every batch ``loader`` yields to ``path``, crash-safe, and returns ``path``.

        Args:
            loader: any iterable of ``(images, labels)``, ``(images, labels, ids)`` or
                ``(images, labels, ids, meta)`` (or dicts with those keys). ``images`` is N×C×H×W: float
                as the network takes it (normalised with ``normalization``), or uint8 pixels. ``ids`` are
                strings (or ints); ``meta`` maps ``box`` (N×4), ``mask`` (N×H×W), ``background`` (N×3)
                or ``mean_rgb`` (N×3) to arrays. Do not shuffle: rows are samples in loader order.
            path: the file, usually ``RUN/dumps/epoch-NNNN.h5``; folders are created.
            epoch: the ``epoch`` attribute.
            dtype: storage of activations and gradients, ``"float16"`` or ``"float32"``.
            run: the run's name (default: ``RUN`` for ``RUN/dumps/…``, else the folder's name).
            seed: the seed that chose the probe set (recorded).
            compression: None, or a deflate level 1–9 for activations and gradients.
            progress: print the samples done to stderr.

        Under ``torch.distributed`` only rank 0 runs the probe and writes; the other ranks wait at a
        barrier and return ``path`` when the file is complete.

        Raises:
            LayerError: a layer pattern that matches nothing (with the valid names).
            ValueError: labels out of range, classes that do not fit the logits, an empty loader.
            OSError: the folder cannot be written (before any computing).
        """
        storage = DumpWriter.float_storage(dtype)
        if compression is not None and not (isinstance(compression, int) and 1 <= compression <= 9):
            raise ValueError(f"compression must be None or a deflate level 1-9, got {compression!r}")
        with _rank_zero_only() as writes:
            if writes:
                self._dump(loader, path, epoch, storage, run, seed, compression, progress)
        return path

    def _dump(self, loader, path, epoch, storage, run, seed, compression, progress):
        if torch.is_inference_mode_enabled():
            raise RuntimeError("Probe.dump needs autograd: call it outside torch.inference_mode()")
        _atomic.prepare_folder(path, "dump")
        writer = None
        try:
            with self._probing():
                for batch in loader:
                    images, labels, ids, meta = self._as_batch(batch)
                    x = self._network_input(images)
                    if writer is None:
                        layers, embedding = self._plan(x)
                        writer = self._open(path, x, layers, epoch, storage, run, seed, compression)
                    rows, k, compute = self._capture(x, images, labels, ids, meta, layers, embedding, writer.rows)
                    if writer.rows == 0:
                        writer.write_classes(self._classes_for(k))
                        # What the network computed in (float16/bfloat16 under autocast); storage is `dtype`.
                        writer.set_attr("compute_dtype", compute)
                    writer.append(rows)
                    if progress:
                        print(f"\rdump epoch {epoch}: {writer.rows} samples", end="", file=sys.stderr, flush=True)
            if writer is None:
                raise ValueError(f"the probe loader yielded no samples; nothing was written to {path}")
            writer.commit()
            if progress:
                print(file=sys.stderr)
        except BaseException:
            if writer is not None:
                writer.discard()
            raise

    def _open(self, path, x, layers, epoch, storage, run, seed, compression):
        channels, height = x.shape[1], x.shape[2]
        mean, std = self._stats(channels)
        attrs = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "writer": f"loupe_torch {_version()}",
            "epoch": int(epoch), "model": self.model_name, "run": run if run is not None else natural_run_name(path),
            "target": self.target, "mode": "eval", "dtype": storage,
            "normalization_mean": np.asarray(mean, dtype=np.float64), "normalization_std": np.asarray(std, dtype=np.float64),
            "image_size": int(height), "seed": int(seed), "layers": [layer.name for layer in layers],
            "torch_version": torch.__version__,
        }
        if x.shape[3] != height:
            attrs["image_width"] = int(x.shape[3])
        return DumpWriter(path, attrs, layers, storage, compression)

    def _capture(self, x, images, labels, ids, meta, layers, embedding, start):
        """One batch → (dataset rows, number of classes, dtype the recorded layers were computed in)."""
        model = self.model
        wanted = {}
        for layer in layers:
            wanted.setdefault(model.get_submodule(layer.module_name), {})[layer.call] = layer.name
        if embedding is not None and embedding.name not in {layer.name for layer in layers}:
            wanted.setdefault(model.get_submodule(embedding.module_name), {}).setdefault(embedding.call, None)
        captured, extra, calls = {}, {}, {}

        def hook(module, _inputs, output):
            calls[module] = call = calls.get(module, 0) + 1
            if call not in wanted[module] or not torch.is_tensor(output):
                return None
            name = wanted[module][call]
            if name is None:  # the embedding module, not a recorded layer: values only
                extra["embedding"] = output.detach().clone()
                return None
            a = output if output.requires_grad else output.detach().requires_grad_(True)
            captured[name] = a
            return a.clone()

        handles = [m.register_forward_hook(hook) for m in wanted]
        try:
            with torch.enable_grad():
                output = model(x)
        finally:
            for h in handles:
                h.remove()
        logits = _logits(output)
        if logits.dim() != 2:
            raise ValueError(f"the model returned logits of shape {tuple(logits.shape)}; expected N×K")
        n, k = logits.shape
        if self.classes is not None and len(self.classes) != k:
            raise ValueError(f"the model produced {k} logits per sample; classes has {len(self.classes)} names")
        y = labels.to(logits.device)
        if len(y) != n:
            raise ValueError(f"batch has {n} images and {len(y)} labels")
        if ((y < 0) | (y >= k)).any():
            bad = int(y[(y < 0) | (y >= k)][0])
            raise ValueError(f"label {bad} is out of range for {k} classes")
        z = logits.float()
        values = _target(self.target, z, y)
        names = [layer.name for layer in layers]
        missing = [name for name in names if name not in captured]
        if missing:
            raise RuntimeError(f"layers {missing} did not run in this batch's forward pass (a data-dependent branch?)")
        tensors = [captured[name] for name in names]
        if values.requires_grad:
            grads = torch.autograd.grad(values.sum(), tensors, allow_unused=True)
        else:
            grads = [None] * len(tensors)

        rows = self._sample_rows(images, labels, ids, meta, start, n)
        rows["/logits"] = _numpy(z)
        rows["/probabilities"] = _numpy(torch.softmax(z.detach(), dim=1))
        rows["/target_values"] = _numpy(values)
        if embedding is None:
            source = captured[names[-1]]
        elif embedding.name in captured:
            source = captured[embedding.name]
        else:
            source = extra["embedding"]
        rows["/embedding"] = _numpy(_pool(source.detach().float()))
        for name, a, g in zip(names, tensors, grads):
            act = _numpy(a.detach().float())
            rows[f"/activations/{name}"] = act
            rows[f"/gradients/{name}"] = np.zeros_like(act) if g is None else _numpy(g.detach().float())
        return rows, k, str(tensors[0].dtype).replace("torch.", "")

    def _sample_rows(self, images, labels, ids, meta, start, n):
        pixels = self._pixels(images)
        rows = {"/probe/images": pixels, "/probe/labels": labels.cpu().numpy().astype(np.int32)}
        if ids is None:
            ids = [f"{start + i:06d}" for i in range(n)]
        ids = [str(i) for i in (ids.tolist() if hasattr(ids, "tolist") else ids)]
        if len(ids) != n:
            raise ValueError(f"batch has {n} images and {len(ids)} ids")
        rows["/probe/ids"] = np.array(ids, dtype=object)
        rows["/probe/meta/mean_rgb"] = _mean_rgb(pixels)
        for key, value in (meta or {}).items():
            if key not in _META_KEYS:
                warnings.warn(f"loupe_torch: meta key '{key}' is not part of the run format ({', '.join(_META_KEYS)}); ignored")
                continue
            array = value.detach().cpu().numpy() if torch.is_tensor(value) else np.asarray(value)
            array = array.astype(np.uint8 if key == "mask" else np.float32)
            if len(array) != n:
                raise ValueError(f"meta '{key}' has {len(array)} rows for a batch of {n}")
            rows[f"/probe/meta/{key}"] = array
        return rows

    # MARK: inputs

    def _as_batch(self, batch):
        """(images, labels, ids, meta) of one loader item; images alone are accepted too (labels 0)."""
        ids = meta = None
        if isinstance(batch, dict):
            images = _first(batch, "images", "image", "input", "inputs")
            labels = _first(batch, "labels", "label", "target", "targets")
            ids = _first(batch, "ids", "id")
            meta = batch.get("meta")
        elif isinstance(batch, (tuple, list)):
            if not 2 <= len(batch) <= 4:
                raise ValueError(f"a batch is (images, labels[, ids[, meta]]); got {len(batch)} items")
            images, labels = batch[0], batch[1]
            ids = batch[2] if len(batch) > 2 else None
            meta = batch[3] if len(batch) > 3 else None
        else:
            images, labels = batch, None
        if not torch.is_tensor(images):
            images = torch.as_tensor(np.asarray(images))
        if images.dim() != 4:
            raise ValueError(f"images must be N×C×H×W, got shape {tuple(images.shape)}")
        if labels is None:
            labels = torch.zeros(images.shape[0], dtype=torch.long)
        labels = torch.as_tensor(labels).long().reshape(-1).cpu()
        return images, labels, ids, meta

    def _target_device(self):
        if self.device is not None:
            return torch.device(self.device)
        for t in list(self.model.parameters()) + list(self.model.buffers()):
            return t.device
        return torch.device("cpu")

    def _network_input(self, images):
        device = self._target_device()
        if images.dtype == torch.uint8:
            mean, std = self._stats(images.shape[1])
            m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
            inverse = 1 / torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
            x = (images.float() * np.float32(1 / 255) - m) * inverse
            return x.to(device)
        return images.to(device)

    def _stats(self, channels):
        if self.normalization is None:
            return [0.0] * channels, [1.0] * channels
        mean, std = self.normalization
        if len(mean) == channels:
            return list(mean), list(std)
        if channels == 1:  # as Loupe: three values averaged for gray input
            return [sum(mean) / len(mean)], [sum(std) / len(std)]
        if len(mean) == 1:
            return list(mean) * channels, list(std) * channels
        raise ValueError(f"normalization has {len(mean)} values per statistic; the images have {channels} channels")

    def _pixels(self, images):
        """uint8 N×H×W×C pixels as shown to the network, before normalisation."""
        if images.dtype == torch.uint8:
            return images.detach().cpu().permute(0, 2, 3, 1).contiguous().numpy()
        v = images.detach().float().cpu()
        mean, std = self._stats(v.shape[1])
        v = v * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
        low, high = float(v.min()), float(v.max())
        if low < -0.01 or high > 1.01:
            hint = ("pass normalization=(mean, std) as your transform applied" if self.normalization is None
                    else f"is normalization={self.normalization} what your transform applied?")
            raise ValueError(f"images un-normalise to [{low:.3g}, {high:.3g}], not [0, 1]: {hint}")
        return torch.floor(v * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()

    def _classes_for(self, k):
        return self.classes if self.classes is not None else [str(i) for i in range(k)]

    @contextlib.contextmanager
    def _probing(self):
        """Eval mode and frozen parameters for the pass; every flag restored afterwards, even on error."""
        modes = [(m, m.training) for m in self.model.modules()]
        flags = [(p, p.requires_grad) for p in self.model.parameters()]
        try:
            self.model.eval()
            for p, _ in flags:
                p.requires_grad_(False)
            yield
        finally:
            for m, training in modes:
                m.training = training
            for p, flag in flags:
                p.requires_grad_(flag)


def _target(target, z, y):
    """Per-sample target values from float32 logits ``z`` and labels ``y``."""
    if target == "logit":
        return z.gather(1, y[:, None]).squeeze(1)
    if target == "logit-predicted":
        return z.gather(1, z.argmax(dim=1, keepdim=True)).squeeze(1)
    if target == "prob":
        return torch.softmax(z, dim=1).gather(1, y[:, None]).squeeze(1)
    return F.cross_entropy(z, y, reduction="none")


def _logits(output):
    if torch.is_tensor(output):
        return output
    if isinstance(output, (tuple, list)) and output and torch.is_tensor(output[0]):
        return output[0]
    if hasattr(output, "logits") and torch.is_tensor(output.logits):
        return output.logits
    raise ValueError(f"the model returned {type(output).__name__}; expected a logits tensor N×K")


def _pool(t):
    if t.dim() == 4:
        return t.mean(dim=(2, 3))
    return t.reshape(t.shape[0], -1)


def _numpy(t):
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


def _mean_rgb(pixels):
    """Mean colour per image in [0, 1], computed as Loupe computes it (exact sums, one float32 scale)."""
    n, h, w, c = pixels.shape
    sums = pixels.reshape(n, h * w, c).sum(axis=1, dtype=np.int64)
    if c < 3:
        sums = np.repeat(sums[:, :1], 3, axis=1)
    scale = np.float32(1) / (np.float32(h * w) * np.float32(255))
    return sums[:, :3].astype(np.float32) * scale


def _first(d, *keys):
    for k in keys:
        if k in d:
            return d[k]
    return None


def _normalization(normalization):
    if normalization is None:
        return None
    try:
        mean, std = normalization
        mean = [float(v) for v in (mean if hasattr(mean, "__len__") else [mean])]
        std = [float(v) for v in (std if hasattr(std, "__len__") else [std])]
    except (TypeError, ValueError):
        raise ValueError(f"normalization must be (mean, std), e.g. ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)); "
                         f"got {normalization!r}") from None
    if len(mean) != len(std) or not mean or any(not math.isfinite(s) or s <= 0 for s in std):
        raise ValueError(f"normalization needs as many means as positive stds; got {normalization!r}")
    return tuple(mean), tuple(std)


def _version():
    from . import __version__
    return __version__


@contextlib.contextmanager
def _rank_zero_only():
    """Yields True where the work runs: everywhere without torch.distributed, else on rank 0 only.

    The other ranks wait at a barrier until rank 0 is done (also when it fails).
    """
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        yield True
        return
    try:
        yield dist.get_rank() == 0
    finally:
        dist.barrier()
