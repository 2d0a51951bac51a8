"""Loupe vs PyTorch on the same weights and batch: logits, input gradient, parameter gradients and
BatchNorm running statistics, in eval and train mode.

Input: an HDF5 file written by `loupe bench parity --out FILE` (layout in `loupe bench parity --help`):
/state/<torchvision key>, /input, /labels, /logits, /input_grad, /eval/grad/<key>, /train/... .
The weights are loaded into torchvision's resnet18 or into the PyTorch peer's LittleConv
(shared/bench/train_step.py, or $TRAIN_STEP_PY) with load_state_dict(strict=True).

Each figure is max|loupe - torch| / max|torch| over the tensor (for gradients: over all parameters).
PyTorch is also run in float64 so you can see how far float32 PyTorch itself is from exact.

Usage:
  ~/.venvs/peers/bin/python scripts/parity/torch_parity.py FILE.h5 [FILE.h5 ...]
  ~/.venvs/peers/bin/python scripts/parity/torch_parity.py --loupe .build-rel/release/loupe \
        --model resnet18 --image-size 64      # writes the file with loupe first
Exit status 1 if eval-mode logits differ by more than --tolerance (default 1e-4).
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PEER = os.environ.get("TRAIN_STEP_PY", "/work/shared/bench/train_step.py")


def load_peer():
    sys.path.insert(0, os.path.dirname(PEER))
    spec = importlib.util.spec_from_file_location("train_step", PEER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(f):
    name = f.attrs["model"]
    name = name.decode() if isinstance(name, bytes) else name
    classes = int(f.attrs["classes"])
    channels = int(f.attrs["input_channels"])
    if name == "resnet18":
        import torchvision
        model = torchvision.models.resnet18(weights=None, num_classes=classes)
        if int(f.attrs["small_input"]):
            model.conv1 = nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
            model.maxpool = nn.Identity()
        elif channels != 3:
            model.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
    elif name == "littleconv":
        model = load_peer().LittleConv(classes, tuple(int(c) for c in f.attrs["channels"]))
        if channels != 3:
            first = model.features[0]
            model.features[0] = nn.Conv2d(channels, first.out_channels, 3, padding=1, bias=False)
    else:
        raise SystemExit(f"unknown model {name!r}")
    state = {k: torch.from_numpy(np.array(v)) for k, v in walk(f["state"])}
    model.load_state_dict(state, strict=True)
    return name, model


def walk(group, prefix=""):
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            yield from walk(item, prefix + key + "/")
        else:
            yield (prefix + key).replace("/", "."), item[()]


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a - b).max())


def rel_many(pairs):
    """max |Δ| / max |ref| over a set of tensors (each tensor scaled by its own max)."""
    return max(rel(a, b) for a, b in pairs) if pairs else float("nan")


def run_torch(f, mode, dtype):
    name, model = build(f)
    model = model.to(dtype)
    model.train(mode == "train")
    x = torch.from_numpy(np.array(f["input"])).to(dtype).requires_grad_(True)
    labels = torch.from_numpy(np.array(f["labels"])).long()
    logits = model(x)
    F.cross_entropy(logits, labels).backward()
    grads = {k: p.grad.detach().numpy() for k, p in model.named_parameters()}
    buffers = {k: b.detach().numpy() for k, b in model.named_buffers()}
    return name, logits.detach().numpy(), x.grad.numpy(), grads, buffers


def compare(path):
    with h5py.File(path, "r") as f:
        print(f"== {path}: {f.attrs['model']}, input {tuple(f['input'].shape)}, seed {f.attrs['seed']}")
        rows = []
        worst_eval_logits = None
        for mode in ("eval", "train"):
            base = "" if mode == "eval" else "train/"
            ours_logits = np.array(f[base + "logits"])
            ours_dx = np.array(f[base + "input_grad"])
            ours_grads = {k: v for k, v in walk(f[f"{mode}/grad"])}
            _, t32_logits, t32_dx, t32_grads, t32_buf = run_torch(f, mode, torch.float32)
            _, t64_logits, t64_dx, t64_grads, t64_buf = run_torch(f, mode, torch.float64)
            grad_pairs_32 = [(ours_grads[k], t32_grads[k]) for k in t32_grads]
            grad_pairs_64 = [(t32_grads[k], t64_grads[k]) for k in t64_grads]
            rows.append((mode, "logits", rel(ours_logits, t32_logits), rel(ours_logits, t64_logits), rel(t32_logits, t64_logits)))
            rows.append((mode, "input gradient", rel(ours_dx, t32_dx), rel(ours_dx, t64_dx), rel(t32_dx, t64_dx)))
            rows.append((mode, "parameter gradients (worst tensor)", rel_many(grad_pairs_32),
                         rel_many([(ours_grads[k], t64_grads[k]) for k in t64_grads]), rel_many(grad_pairs_64)))
            if mode == "train":
                ours_after = {k: v for k, v in walk(f["train/state_after"])}
                float_keys = [k for k in t32_buf if not k.endswith("num_batches_tracked")]
                rows.append((mode, "running stats after (worst tensor)",
                             rel_many([(ours_after[k], t32_buf[k]) for k in float_keys]),
                             rel_many([(ours_after[k], t64_buf[k]) for k in float_keys]),
                             rel_many([(t32_buf[k], t64_buf[k]) for k in float_keys])))
                counts_equal = all(int(ours_after[k]) == int(t32_buf[k]) for k in t32_buf if k.endswith("num_batches_tracked"))
                rows.append((mode, "num_batches_tracked equal", float(not counts_equal), float("nan"), float("nan")))
            else:
                worst_eval_logits = rows[0][2]
        print(f"{'mode':5} | {'quantity':36} | {'loupe vs torch f32':>18} | {'loupe vs torch f64':>18} | {'torch f32 vs f64':>16}")
        print("-" * 106)
        for mode, what, a, b, c in rows:
            print(f"{mode:5} | {what:36} | {a:18.2e} | {b:18.2e} | {c:16.2e}")
        print("(figures: max |difference| / max |reference| per tensor; 'num_batches_tracked equal' shows 0 when equal)")
        return worst_eval_logits


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="HDF5 files from `loupe bench parity`")
    ap.add_argument("--loupe", help="loupe binary: write the file(s) first with `loupe bench parity`")
    ap.add_argument("--model", nargs="+", default=["resnet18", "littleconv"])
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    torch.set_num_threads(2)
    files = list(args.files)
    scratch = tempfile.mkdtemp(prefix="loupe-parity-")
    if args.loupe:
        for m in args.model:
            out = os.path.join(scratch, f"{m}-{args.image_size}.h5")
            subprocess.run([args.loupe, "bench", "parity", "--model", m, "--image-size", str(args.image_size),
                            "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--out", out], check=True)
            files.append(out)
    if not files:
        ap.error("give HDF5 files or --loupe")
    worst = max(compare(p) for p in files)
    ok = worst <= args.tolerance
    print(f"\neval-mode logits: worst {worst:.2e} {'<=' if ok else '>'} {args.tolerance:.0e}: {'OK' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
