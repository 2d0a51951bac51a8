"""Helpers for the tests: loaders made from a dump's probe set, and dataset-by-dataset comparison."""

import h5py
import numpy as np
import torch


def relative(a, b):
    """max |a − b| / max |b|: the difference relative to the dataset's scale (0 when both are all zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes {a.shape} and {b.shape}"
    scale = np.abs(b).max() if b.size else 0.0
    diff = np.abs(a - b).max() if b.size else 0.0
    return 0.0 if diff == 0 else diff / (scale if scale > 0 else 1.0)


def relu_ties(model, batches, relative=1e-6):
    """Indices of the probe samples where some ReLU's input lies within `relative` of zero (relative to that
    input's largest magnitude in the sample), in a forward pass of `model` in eval mode over `batches`.

    ReLU's derivative jumps at 0. At such a point a last-bit difference in the forward (another BLAS kernel,
    another summation order) flips the mask, and every gradient upstream of it changes by a whole unit's share,
    not by rounding: seen on an AMD EPYC, where a layer2.1.bn1 output of 5e-8 (max 2) changed sign between
    OpenBLAS's Haswell and SkylakeX kernels and moved that sample's layer1 gradient by 1 %. Those samples'
    gradients cannot be held to rounding tolerance; the rest of the dump still can.
    """
    flagged, offset = set(), [0]

    def hook(module, inputs):  # a pre-hook: torchvision's ReLUs are in place
        x = inputs[0].detach().flatten(1).abs()
        near = (x < relative * x.max(dim=1, keepdim=True).values).any(dim=1)
        flagged.update(offset[0] + i for i in torch.nonzero(near).flatten().tolist())

    handles = [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for x, *_ in batches:
                model(x)
                offset[0] += len(x)
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    return flagged


def probe_batches(dump, batch_size=3, raw=False):
    """The probe set stored in `dump`, as a PyTorch user's loader would give it.

    Images are normalised as torchvision's ToTensor + Normalize do (or left uint8 with ``raw``), with
    ids and the synthetic data's metadata (box, mask, background) per batch.
    """
    with h5py.File(dump, "r") as f:
        images = f["probe/images"][()]
        labels = f["probe/labels"][()]
        ids = [i.decode() if isinstance(i, bytes) else i for i in f["probe/ids"][()]]
        meta = {k: f["probe/meta"][k][()] for k in ("box", "mask", "background") if k in f["probe/meta"]}
        mean = f.attrs["normalization_mean"]
        std = f.attrs["normalization_std"]
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    if not raw:
        m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        x = (x.float() / 255 - m) / s
    batches = []
    for start in range(0, len(labels), batch_size):
        sl = slice(start, start + batch_size)
        batches.append((x[sl], torch.from_numpy(labels[sl]).long(), ids[sl], {k: v[sl] for k, v in meta.items()}))
    return batches, (tuple(mean), tuple(std))


def classes_of(dump):
    with h5py.File(dump, "r") as f:
        return [c.decode() if isinstance(c, bytes) else c for c in f["probe/classes"][()]]


def datasets(path):
    """Every dataset of an HDF5 file: path → array."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def attrs(path):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
