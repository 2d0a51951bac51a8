"""Checks Loupe's zero-gradient detector on gradients recorded by PyTorch (float32, CPU).

A small seeded CNN whose classifier is scaled up, on inputs of spread amplitude, so that logit margins
span roughly 0 to a few hundred; the
gradient of the true-class softmax probability (`prob`) and of the logit (`logit`) at its last conv
block are recorded with hooks and written with h5py as two minimal dumps (only `target`, `epoch`,
/logits, /probe/labels, /activations/block2, /gradients/block2). Then:

    loupe analyze zero-grad /tmp/zg/prob.h5 --out /tmp/zg/prob
    loupe analyze zero-grad /tmp/zg/logit.h5 --out /tmp/zg/logit
    python scripts/reference/zero_grad_reference.py check /tmp/zg

expects `softmax-saturation` for prob and `healthy` for logit, and compares Loupe's float32 regimes
with what PyTorch actually produced: every sample Loupe calls `exact-zero` must have an all-zero
PyTorch gradient, and every all-zero PyTorch gradient must be `exact-zero`.

    python scripts/reference/zero_grad_reference.py make /tmp/zg
"""
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn


class Tiny(nn.Module):
    def __init__(self, classes=8):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc(self.block2(self.block1(x)).mean(dim=(2, 3)))


def make(folder, n=64):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    model = Tiny().eval()
    with torch.no_grad():
        model.fc.weight.mul_(3000)
        for conv in (model.block1[0], model.block2[0]):
            conv.bias.zero_()
    # Input amplitudes spread over two decades spread the margins (without biases the net is positively homogeneous).
    x = torch.rand(n, 3, 16, 16) * torch.logspace(-3, 0, n)[:, None, None, None]
    with torch.no_grad():
        labels = model(x).argmax(1)  # the true class is the predicted one: margins ≥ 0
    for target in ["prob", "logit"]:
        store = {}
        h = model.block2.register_forward_hook(lambda m, i, o: store.__setitem__("a", o) or o.retain_grad())
        logits = model(x)
        h.remove()
        score = torch.softmax(logits, 1) if target == "prob" else logits
        score[torch.arange(n), labels].sum().backward()
        with h5py.File(f"{folder}/{target}.h5", "w") as f:
            f.attrs["target"] = target
            f.attrs["epoch"] = 0
            f["/logits"] = logits.detach().numpy()
            f["/probe/labels"] = labels.numpy().astype(np.int64)
            f["/activations/block2"] = store["a"].detach().numpy()
            f["/gradients/block2"] = store["a"].grad.numpy()
        model.zero_grad()
    print(f"wrote {folder}/prob.h5 and {folder}/logit.h5")


def check(folder):
    ok = True
    for target, expected in [("prob", "softmax-saturation"), ("logit", "healthy")]:
        summary = json.load(open(f"{folder}/{target}/summary.json"))
        got = summary["diagnosis"]
        ok &= got == expected
        print(f"{'ok  ' if got == expected else 'FAIL'} {target}: diagnosis {got} (expected {expected})")
    with h5py.File(f"{folder}/prob.h5") as d, h5py.File(f"{folder}/prob/result.h5") as r:
        g = d["/gradients/block2"][...]
        torch_zero = (g.reshape(len(g), -1) == 0).all(axis=1)
        regime = np.array([s.decode() if isinstance(s, bytes) else s for s in r["/epoch-0000/regime"][...]])
        margin = r["/epoch-0000/margin"][...]
        loupe_zero = regime == "exact-zero"
        agree = (torch_zero == loupe_zero).all()
        ok &= bool(agree)
        print(f"{'ok  ' if agree else 'FAIL'} exact-zero regime matches PyTorch's all-zero gradients on {len(g)} samples "
              f"({torch_zero.sum()} all zero; smallest margin with a zero gradient {margin[torch_zero].min() if torch_zero.any() else float('nan'):.1f}, "
              f"largest without {margin[~torch_zero].max():.1f})")
        counts = {k: int((regime == k).sum()) for k in ["normal", "shrunk", "rounded", "exact-zero"]}
        print(f"     regimes: {counts}")
    return ok


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(0 if check(sys.argv[2]) else 1)
