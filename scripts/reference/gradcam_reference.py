"""Checks Loupe's Grad-CAM against pytorch-grad-cam (PyPI `grad-cam`) on the same arrays.

Two steps:

  1. make: a small seeded CNN, pytorch-grad-cam's GradCAM on a batch of images; the activations and
     gradients its hooks recorded are written with h5py as a MINIMAL dump (no Loupe attributes, only
     /probe/images, /activations/<layer>, /gradients/<layer>, /probe/labels), and pytorch-grad-cam's
     own output maps are stored beside them under /reference/gradcam/<layer> (readers ignore unknown
     datasets).

         python scripts/reference/gradcam_reference.py make /tmp/gc/minimal.h5

  2. check: after `loupe analyze gradcam /tmp/gc/minimal.h5 --option layers=all --out /tmp/gc/out`,
     compares Loupe's result.h5 with (a) pytorch-grad-cam's maps from step 1 when present and
     (b) pytorch-grad-cam's math re-run on the arrays of every dump listed in result.h5
     (BaseCAM.get_cam_image, ReLU, scale_cam_image with cv2.resize, aggregate_multi_layers).

         python scripts/reference/gradcam_reference.py check /tmp/gc/out/result.h5

Exit status 0 when every map agrees within --tol (default 1e-5). Needs torch, grad-cam, h5py, numpy.
"""
import argparse
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget


class Tiny(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.block2(self.block1(x))
        return self.fc(x.mean(dim=(2, 3)))


def make(path, n=12, size=32, seed=0):
    torch.manual_seed(seed)
    model = Tiny().eval()
    images = torch.rand(n, 3, size, size)
    labels = torch.arange(n) % 4
    targets = [ClassifierOutputTarget(int(c)) for c in labels]
    with h5py.File(path, "w") as f:
        f["/probe/images"] = (images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        f["/probe/labels"] = labels.numpy().astype(np.int64)
        for name in ["block1", "block2"]:
            cam = GradCAM(model=model, target_layers=[getattr(model, name)])
            maps = cam(input_tensor=images, targets=targets)
            acts = cam.activations_and_grads.activations[0].numpy()
            grads = cam.activations_and_grads.gradients[0].numpy()
            f[f"/activations/{name}"] = acts.astype(np.float32)
            f[f"/gradients/{name}"] = grads.astype(np.float32)
            f[f"/reference/gradcam/{name}"] = maps.astype(np.float32)
    print(f"wrote {path}: minimal dump (no format attribute), {n} images {size}x{size}, layers block1, block2")


def pytorch_grad_cam_maps(acts, grads, size):
    """pytorch-grad-cam's path for one target layer, on recorded arrays (no model run)."""
    holder = nn.Linear(1, 1)  # BaseCAM wants a model with parameters; it is never run here
    cam = GradCAM(model=holder, target_layers=[holder])
    raw = cam.get_cam_image(None, None, None, acts, grads, eigen_smooth=False)
    relu = np.maximum(raw, 0)
    scaled = scale_cam_image(relu, (size[1], size[0]))
    return relu, cam.aggregate_multi_layers([scaled[:, None, :]]), raw


def check(result_path, tol):
    worst = 0.0
    failures = 0
    with h5py.File(result_path, "r") as res:
        inputs = [s.decode() if isinstance(s, bytes) else s for s in res.attrs["inputs"]]
        epochs = list(res.attrs["input_epochs"])
        layers = [s.decode() if isinstance(s, bytes) else s for s in res["/layers"][...]]
        groups = [k for k in res.keys() if k.startswith("epoch-")]
        for dump_path, epoch in zip(inputs, epochs):
            group = f"epoch-{int(epoch):04d}"
            if group not in groups:
                print(f"skip {dump_path}: no group {group} in result.h5")
                continue
            with h5py.File(dump_path, "r") as dump:
                images = dump["/probe/images"]
                size = images.shape[1:3]
                for layer in layers:
                    acts = dump[f"/activations/{layer}"][...].astype(np.float32)
                    grads = dump[f"/gradients/{layer}"][...].astype(np.float32)
                    relu, final, raw = pytorch_grad_cam_maps(acts, grads, size)
                    loupe_cam = res[f"{group}/{layer}/cam"][...]
                    loupe_heat = res[f"{group}/{layer}/heatmap"][...]
                    loupe_raw_max = res[f"{group}/{layer}/raw_max"][...]
                    checks = {
                        "cam (ReLU map, layer resolution)": np.abs(loupe_cam - relu).max() / max(1.0, np.abs(relu).max()),
                        "heatmap vs pytorch-grad-cam math": np.abs(loupe_heat - final).max(),
                        "raw max": np.abs(loupe_raw_max - raw.reshape(len(raw), -1).max(axis=1)).max() / max(1.0, np.abs(raw).max()),
                    }
                    ref = f"/reference/gradcam/{layer}"
                    if ref in dump:
                        checks["heatmap vs pytorch-grad-cam run on the model"] = np.abs(loupe_heat - dump[ref][...]).max()
                    for what, err in checks.items():
                        ok = err <= tol
                        worst = max(worst, err)
                        failures += not ok
                        print(f"{'ok  ' if ok else 'FAIL'} {dump_path} {layer}: {what}: max error {err:.2e}")
    print(f"worst error {worst:.2e} (tolerance {tol:g}); {failures} failure(s)")
    return failures == 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--n", type=int, default=12)
    m.add_argument("--size", type=int, default=32)
    c = sub.add_parser("check")
    c.add_argument("result")
    c.add_argument("--tol", type=float, default=1e-5)
    a = p.parse_args()
    if a.cmd == "make":
        make(a.out, a.n, a.size)
    else:
        sys.exit(0 if check(a.result, a.tol) else 1)


if __name__ == "__main__":
    main()
