"""Zero-gradient detector references recorded by PyTorch (real autograd on small seeded models, CPU float32).

Three commands:

    python3 scripts/reference/zero_grad_reference.py corpus Tests/AnalyzersTests/Fixtures/zero-grad

  writes the corpus the Swift tests check (ZeroGradCorpusTests): one run-format dump per situation that
  users of Grad-CAM tools report, plus healthy controls, and `cases.json` with each case's expected top
  diagnosis. Every gradient comes from `backward()` through hooks on the recorded modules, as
  pytorch-grad-cam, Captum and torch-cam record them. Each case's comment names the public issue threads
  it is built from. Use Debian's interpreter (`/usr/bin/python3`: python3-torch, python3-h5py); the
  fixtures are stored, so `make test` needs no PyTorch.

    python3 scripts/reference/zero_grad_reference.py make /tmp/zg
    loupe analyze zero-grad /tmp/zg/prob.h5 --out /tmp/zg/prob
    loupe analyze zero-grad /tmp/zg/logit.h5 --out /tmp/zg/logit
    python3 scripts/reference/zero_grad_reference.py check /tmp/zg

  `make` writes two minimal dumps of one net whose classifier is scaled up (margins from about 0 to a few
  hundred): gradients of the true-class softmax probability (`prob`) and of the logit (`logit`). `check`
  expects `softmax-saturation` for prob and `healthy` for logit, and compares Loupe's float32 regimes with
  what PyTorch produced: every sample Loupe calls `exact-zero` must have an all-zero PyTorch gradient and
  every all-zero PyTorch gradient must be `exact-zero`.
"""
import copy
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------
# Synthetic data: K classes, each a bright square at its own place and colour on a noisy background.


def make_data(n, k, seed, blank=0):
    g = torch.Generator().manual_seed(seed)
    x = 0.15 * torch.rand(n, 3, 16, 16, generator=g)
    y = torch.arange(n) % k
    for i in range(n):
        c = int(y[i])
        r, col = 2 + 6 * (c % 2), 2 + 6 * ((c // 2) % 2)
        x[i, c % 3, r:r + 6, col:col + 6] += 0.8
        if k > 4 or k == 2:
            x[i, (c + 1) % 3, r:r + 6, col:col + 6] += 0.4 * (c >= 4)
    if blank:
        x[:blank] = 0  # empty frames (padding, masked-out images)
    return x, y


class Net(nn.Module):
    """block1 6×8×8, block2 12×4×4, global average pool, fc. Module names follow torchvision's style."""

    def __init__(self, k=4, bias=True, outputs=None):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, bias=bias), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(6, 12, 3, padding=1, bias=bias), nn.ReLU(), nn.MaxPool2d(2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, outputs or k)

    def features(self, x):
        return self.pool(self.block2(self.block1(x))).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


class ResNetTiny(nn.Module):
    """conv-BN-ReLU stem and one residual block with BatchNorm (eval mode when recorded)."""

    def __init__(self, k=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.layer1 = nn.Identity()  # marks the block output for hooks
        self.fc = nn.Linear(8, k)

    def forward(self, x):
        s = self.stem(x)
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(s)))))
        out = self.layer1(F.relu(out + s))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


def train(model, k, steps, seed, lr=0.01, binary=False):
    """Adam on 512 synthetic images; `binary`: one output, label = class ≥ k/2 (BCE with logits)."""
    torch.manual_seed(seed)
    x, y = make_data(512, k, seed + 1)
    if binary:
        y = (y >= k // 2).long()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(x), (64,))
        out = model(x[idx])
        loss = F.binary_cross_entropy_with_logits(out[:, 0], y[idx].float()) if binary else F.cross_entropy(out, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


# ---------------------------------------------------------------------------------------------------
# Recording: forward hooks keep each module's output and call retain_grad(), like pytorch-grad-cam's
# ActivationsAndGradients; the target is summed over samples (each sample's gradient is its own: eval
# mode, no batch coupling) and back-propagated once.


def target_value(out, y, target):
    n = len(y)
    if out.shape[1] == 1:
        z = out[:, 0]
        if target == "logit":
            return torch.where(y == 1, z, -z)
        if target == "prob":
            p = torch.sigmoid(z)
            return torch.where(y == 1, p, 1 - p)
        if target == "loss":
            return F.binary_cross_entropy_with_logits(z, y.float(), reduction="none")
    if target == "logit":
        return out[torch.arange(n), y]
    if target == "prob":
        return torch.softmax(out, 1)[torch.arange(n), y]
    if target == "loss":
        return F.cross_entropy(out, y, reduction="none")
    raise ValueError(target)


def record(model, x, y, modules, target, no_grad_prefix=None):
    store = {}
    hooks = []
    for name, module in modules.items():
        def hook(m, i, o, name=name):
            store[name] = o
            if o.requires_grad:
                o.retain_grad()
        hooks.append(module.register_forward_hook(hook))
    out = model(x)
    for h in hooks:
        h.remove()
    value = target_value(out, y, target)
    if value.requires_grad:
        value.sum().backward()
    else:
        # What a user sees with frozen parameters and an input without requires_grad:
        # "element 0 of tensors does not require grad and does not have a grad_fn". Activations only.
        pass
    acts = {n: t.detach().numpy() for n, t in store.items()}
    grads = {n: t.grad.numpy() for n, t in store.items() if t.requires_grad and t.grad is not None}
    return out.detach().numpy(), value.detach().numpy(), acts, grads


def write_dump(path, *, logits, labels, acts, grads, target, order, model, grad_dtype="float32", epoch=0, values=None):
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = "loupe-dump"
        f.attrs["format_version"] = "1.0"
        f.attrs["epoch"] = epoch
        f.attrs["model"] = model
        f.attrs["run"] = os.path.splitext(os.path.basename(path))[0]
        f.attrs["target"] = target
        f.attrs["mode"] = "eval"
        f.attrs["dtype"] = grad_dtype
        f.attrs["layers"] = [l for l in order if l in acts or l in grads]
        f.attrs["seed"] = 0
        n = len(labels)
        f["/probe/labels"] = labels.astype(np.int32)
        f.create_dataset("/probe/ids", data=[f"probe-{i:03d}" for i in range(n)], dtype=h5py.string_dtype())
        f["/logits"] = logits.astype(np.float32)
        if values is not None:
            f["/target_values"] = values.astype(np.float32)

        def put(name, a, dtype):
            f.create_dataset(name, data=a.astype(dtype), chunks=(1,) + a.shape[1:], compression="gzip", shuffle=True)

        for layer, a in acts.items():
            put(f"/activations/{layer}", a, np.float32)
        for layer, g in grads.items():
            put(f"/gradients/{layer}", g, np.float16 if grad_dtype == "float16" else np.float32)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------
# The corpus. N probe samples per case; expected = the top diagnosis Loupe must give.

N = 16


def corpus(folder):
    os.makedirs(folder, exist_ok=True)
    cases = []
    torch.manual_seed(0)
    k = 4
    base = train(Net(k), k, steps=300, seed=10)
    x, y = make_data(N, k, seed=999)

    def blocks(m):
        return {"block1": m.block1, "block2": m.block2}

    def emit(name, expected, threads, what, model, modules, target, order, xs=x, ys=y, grad_dtype="float32", **kw):
        logits, values, acts, grads = record(model, xs, ys, modules, target, **kw)
        write_dump(os.path.join(folder, name + ".h5"), logits=logits, labels=ys.numpy(), acts=acts, grads=grads,
                   target=target, order=order, model=type(model).__name__, grad_dtype=grad_dtype, values=values)
        cases.append({"case": name, "expected": expected, "what": what, "threads": threads})
        print(f"{name:36s} expected {expected}")

    # Controls ---------------------------------------------------------------------------------------
    # A well-trained net in which some channels never fire on the probe images (here two of block2's
    # 12, as dead channels are in real nets): a note, not a verdict (issue 13: "3 of 32 channels inactive").
    healthy = copy.deepcopy(base)
    with torch.no_grad():
        healthy.block2[0].bias[[3, 7]] = -50.0
    emit("control-trained-logit", "healthy", ["loupe issue 13"], "trained net, logit target, two dead channels in block2",
         healthy, blocks(healthy), "logit", ["block1", "block2"])

    # An unconfident net (briefly trained) with the softmax-probability target: gradients shrink little;
    # some Grad-CAM maps are clipped to zero by Grad-CAM's ReLU (kazuto1011/grad-cam-pytorch#15,
    # jacobgil/pytorch-grad-cam#42, #108: "returns negative values ... turns into zero").
    young = train(Net(k), k, steps=12, seed=11)
    emit("control-unconfident-prob", "healthy", ["kazuto1011/grad-cam-pytorch#15", "jacobgil/pytorch-grad-cam#42"],
         "briefly trained net, prob target", young, {"block2": young.block2}, "prob", ["block2"])

    # A small ResNet with BatchNorm in eval mode, gradients stored as float16 (precision loss, nothing zeroed).
    res = train(ResNetTiny(k), k, steps=150, seed=12)
    emit("control-resnet-bn-float16", "healthy", ["jacobgil/pytorch-grad-cam#329"], "ResNet block with BatchNorm, logit target, float16 storage",
         res, {"stem": res.stem, "layer1": res.layer1}, "logit", ["stem", "layer1"], grad_dtype="float16")

    # Softmax saturation -----------------------------------------------------------------------------
    # The gradient of a confident softmax output is 0 in float32 (keras-team/keras#5881, sicara/tf-explain#54,
    # jacobgil/keras-grad-cam#25: predictions [[1., 0., 0., 0.]] and all-zero pooled gradients).
    # Confidence: the trained classifier scaled ×12 (as long training without label smoothing does).
    confident = copy.deepcopy(base)
    with torch.no_grad():
        confident.fc.weight.mul_(12)
        confident.fc.bias.mul_(12)
    emit("softmax-prob-confident", "softmax-saturation", ["keras-team/keras#5881", "sicara/tf-explain#54", "jacobgil/keras-grad-cam#25"],
         "confident net, gradient of the softmax probability", confident, blocks(confident), "prob", ["block1", "block2"])
    # Cross-entropy loss as the target (fchollet/deep-learning-with-python-notebooks#107: the score after
    # the softmax; jacobgil/pytorch-grad-cam#436 on targets).
    emit("softmax-loss-confident", "softmax-saturation", ["fchollet/deep-learning-with-python-notebooks#107", "jacobgil/pytorch-grad-cam#436"],
         "confident net, gradient of the cross-entropy loss", confident, {"block2": confident.block2}, "loss", ["block2"])

    # Probability outputs: the model's forward ends in softmax, so what the user calls logits are
    # probabilities (sicara/tf-explain#54 "removing the softmax layer", ismailuddin/gradcam-tensorflow-2#2
    # "Logits or post-softmax?", jacobgil/pytorch-grad-cam#232 "Softmax/Sigmoid required?").
    probs = nn.Sequential(confident, nn.Softmax(dim=1)).eval()
    emit("probability-outputs-softmax", "probability-outputs", ["sicara/tf-explain#54", "ismailuddin/gradcam-tensorflow-2#2", "jacobgil/pytorch-grad-cam#232"],
         "forward ends in nn.Softmax, explained as if it returned logits", probs,
         {"block1": confident.block1, "block2": confident.block2}, "logit", ["block1", "block2"])
    # A forward ending in log_softmax (models trained with NLLLoss): the "logit" is log p.
    class LogSoftmaxNet(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return F.log_softmax(self.inner(x), dim=1)

    logp = LogSoftmaxNet(confident).eval()
    emit("probability-outputs-log-softmax", "probability-outputs", ["jacobgil/pytorch-grad-cam#232", "jacobgil/pytorch-grad-cam#436"],
         "forward ends in log_softmax (NLLLoss-style model)", logp, {"block2": confident.block2}, "logit", ["block2"])

    # One-output (binary) models ---------------------------------------------------------------------
    # "If the network has only one output with a sigmoid" (jacobgil/pytorch-grad-cam#325, #428,
    # Project-MONAI/MONAI#5530, FrancescoSaverioZuppichini/A-journey-into-Convolutional-Neural-Network-visualization-#4).
    yb = (y >= 2).long()
    binary = train(Net(k, outputs=1), k, steps=300, seed=13, binary=True)
    with torch.no_grad():
        binary.fc.weight.mul_(6)
        binary.fc.bias.mul_(6)
    xb, _ = make_data(N, k, seed=999)
    # The forward applies the sigmoid itself; the user explains its output as a logit.
    sig = nn.Sequential(binary, nn.Sigmoid()).eval()
    emit("probability-outputs-sigmoid", "probability-outputs",
         ["jacobgil/pytorch-grad-cam#325", "FrancescoSaverioZuppichini/A-journey-into-Convolutional-Neural-Network-visualization-#4"],
         "one-output model whose forward ends in a sigmoid", sig, {"block2": binary.block2}, "logit", ["block2"], xs=xb, ys=yb)
    # The model returns its one logit; the probe back-propagates the sigmoid probability of the true class.
    emit("sigmoid-prob-confident", "sigmoid-saturation", ["jacobgil/pytorch-grad-cam#325", "Project-MONAI/MONAI#5530"],
         "one-output model, gradient of the sigmoid probability", binary, blocks(binary), "prob", ["block1", "block2"], xs=xb, ys=yb)
    # ... or the binary cross-entropy (jacobgil/pytorch-grad-cam#428 on BinaryClassifierOutputTarget).
    emit("sigmoid-bce-loss", "sigmoid-saturation", ["jacobgil/pytorch-grad-cam#428"],
         "one-output model, gradient of BCE-with-logits", binary, {"block2": binary.block2}, "loss", ["block2"], xs=xb, ys=yb)

    # Non-finite gradients ---------------------------------------------------------------------------
    # A cosine classifier that normalises features without an epsilon: blank frames give 0/0 = NaN
    # (frgfm/torch-cam#186 "division by zero", #208 NaNs "for some images, not all",
    # jacobgil/pytorch-grad-cam#108 "a matrix of nans").
    class Cosine(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = Net(k, bias=False)

        def forward(self, x):
            f = self.net.features(x)
            return 10 * self.net.fc(f / f.norm(dim=1, keepdim=True))

    cos = Cosine()
    train(cos, k, steps=200, seed=14)
    xn, yn = make_data(N, k, seed=999, blank=4)
    emit("nan-normalize-no-eps", "non-finite-gradients", ["frgfm/torch-cam#186", "frgfm/torch-cam#208", "jacobgil/pytorch-grad-cam#108"],
         "features divided by their norm without epsilon; 4 blank probe frames", cos,
         {"block1": cos.net.block1, "block2": cos.net.block2}, "logit", ["block1", "block2"], xs=xn, ys=yn)
    # log(softmax(z)) written by hand instead of log_softmax: a probability that underflows to 0 gives
    # log 0 = -inf and a NaN gradient (0 · 1/0) for every confident sample.
    class LogOfSoftmax(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return torch.log(torch.softmax(self.inner(x), dim=1))

    very = copy.deepcopy(base)
    with torch.no_grad():
        very.fc.weight.mul_(40)
        very.fc.bias.mul_(40)
    emit("nan-log-of-softmax", "non-finite-gradients", ["frgfm/torch-cam#186", "jacobgil/pytorch-grad-cam#108"],
         "forward returns torch.log(torch.softmax(z)) of a very confident net", LogOfSoftmax(very).eval(),
         {"block2": very.block2}, "logit", ["block2"])

    # Missing gradients ------------------------------------------------------------------------------
    # The backbone runs under torch.no_grad() (frozen feature extractor): its hooks see activations but
    # never gradients (kazuto1011/grad-cam-pytorch#33 "torch.no_grad() disables the gradients",
    # jacobgil/pytorch-grad-cam#187).
    class FrozenBackbone(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.head = nn.Sequential(nn.Conv2d(12, 12, 1), nn.ReLU())

        def forward(self, x):
            with torch.no_grad():
                f = self.inner.block2(self.inner.block1(x))
            return self.inner.fc(self.inner.pool(self.head(f)).flatten(1))

    frozen = FrozenBackbone(copy.deepcopy(base)).eval()
    with torch.no_grad():
        frozen.head[0].weight.copy_(torch.eye(12).view(12, 12, 1, 1))
        frozen.head[0].bias.zero_()
    emit("missing-grads-no-grad-backbone", "missing-gradients", ["kazuto1011/grad-cam-pytorch#33", "jacobgil/pytorch-grad-cam#187"],
         "backbone under torch.no_grad(), head trainable", frozen,
         {"block1": frozen.inner.block1, "block2": frozen.inner.block2, "head": frozen.head}, "logit", ["block1", "block2", "head"])
    # requires_grad=False on every parameter (frozen for speed) and an input without requires_grad: no
    # activation needs a gradient, backward() raises, only activations are written
    # (meta-pytorch/captum#226, Project-MONAI/MONAI#3035, jacobgil/pytorch-grad-cam#254, pytorch/pytorch#56876).
    nograd = copy.deepcopy(base)
    for p in nograd.parameters():
        p.requires_grad_(False)
    emit("missing-grads-frozen-params", "missing-gradients", ["meta-pytorch/captum#226", "Project-MONAI/MONAI#3035", "jacobgil/pytorch-grad-cam#254"],
         "every parameter requires_grad=False, input without requires_grad", nograd, blocks(nograd), "logit", ["block1", "block2"])

    # No spatial extent: the target layer is the global pool's 1×1 output (jacobgil/pytorch-grad-cam#25
    # "Average Pool Layer", utkuozbulak/pytorch-cnn-visualizations#86, zhoubolei/CAM#8).
    emit("one-by-one-avgpool", "no-spatial-extent", ["jacobgil/pytorch-grad-cam#25", "utkuozbulak/pytorch-cnn-visualizations#86", "zhoubolei/CAM#8"],
         "target layer = AdaptiveAvgPool2d output (12×1×1)", base, {"pool": base.pool}, "logit", ["pool"])

    # Dead ReLU: a destructive update (learning rate far too high) leaves block2's ReLUs closed for every
    # input (keras-team/keras-io#1344: "the convolutional layers towards the end produce zero gradients";
    # kazuto1011/grad-cam-pytorch#15 on choosing the layer before or after the ReLU).
    dead = copy.deepcopy(base)
    xt, yt = make_data(512, k, seed=11)
    opt = torch.optim.SGD(dead.parameters(), lr=60.0)
    dead.train()
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(dead(xt[:64]), yt[:64]).backward()
        opt.step()
    dead.eval()
    alive = (dead.block2[0](dead.block1(x)) > 0).float().mean().item()
    if alive > 0:  # the update did not kill every unit: finish what it started
        with torch.no_grad():
            dead.block2[0].bias.sub_(dead.block2[0](dead.block1(xt)).amax().item() + 1)
    print(f"   dead net: share of positive block2 pre-activations on the probes {alive:.3f}")
    # Recorded at the conv before the ReLU (the pre-activation): every gradient there is zero.
    emit("dead-relu-preactivation", "dead-relu", ["keras-team/keras-io#1344", "kazuto1011/grad-cam-pytorch#15"],
         "block2's ReLU closed for every input; pre-activation conv recorded", dead,
         {"block1": dead.block1, "block2.0": dead.block2[0]}, "logit", ["block1", "block2.0"])
    # Recorded after the ReLU: activations all zero (gradients there are fine, the layer before gets none).
    emit("dead-relu-post-activation", "dead-relu", ["keras-team/keras-io#1344"],
         "block2's ReLU closed for every input; block outputs recorded", dead, blocks(dead), "logit", ["block1", "block2"])

    # A layer the target does not reach: a detector-style model whose box head is concatenated with the
    # class scores; the class score's gradient at the box branch is exactly zero (keras-team/keras-io#1344
    # SSD, jacobgil/pytorch-grad-cam#513 "the gradient seems to be 0").
    class TwoHeads(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.box = nn.Sequential(nn.Conv2d(12, 8, 3, padding=1), nn.ReLU())
            self.box_fc = nn.Linear(8, 4)

        def forward(self, x):
            f = self.inner.block2(self.inner.block1(x))
            cls = self.inner.fc(self.inner.pool(f).flatten(1))
            box = self.box_fc(self.box(f).mean(dim=(2, 3)))
            return torch.cat([cls, box], 1)

    torch.manual_seed(5)
    heads = TwoHeads(copy.deepcopy(base)).eval()

    class ClassScores(nn.Module):  # what the dump stores as /logits: the K class scores
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x)[:, :k]

    emit("unreached-box-head", "unreached-layer", ["keras-team/keras-io#1344", "jacobgil/pytorch-grad-cam#513"],
         "class score explained at the box-regression branch", ClassScores(heads).eval(),
         {"block2": heads.inner.block2, "box": heads.box}, "logit", ["block2", "box"])

    # float16 flushing: a net with a tiny output scale (strong weight decay) whose gradients are stored
    # or computed in half precision (keisen/tf-keras-vis#41 mixed precision, jacobgil/pytorch-grad-cam#329
    # autocast, tensorflow/tensorflow#47884 "Return gradient 0 in mixed_precision").
    small = copy.deepcopy(base)
    with torch.no_grad():
        small.fc.weight.mul_(3e-7)
        small.fc.bias.mul_(3e-7)
    emit("float16-flush", "float16-flush", ["keisen/tf-keras-vis#41", "jacobgil/pytorch-grad-cam#329", "tensorflow/tensorflow#47884"],
         "tiny output scale, gradients stored as float16", small, blocks(small), "logit", ["block1", "block2"], grad_dtype="float16")

    # Variants: other situations of the same kinds (other seeds, sizes, architectures, confidence mixes),
    # written after the cases above were diagnosed, to check that the reasoning is not tuned to them.
    k10 = 8
    net10 = train(Net(k10), k10, steps=400, seed=20)
    x10, y10 = make_data(N, k10, seed=998)
    # A ten-way-ish softmax model of mixed confidence: only some samples saturate.
    mixed = copy.deepcopy(net10)
    with torch.no_grad():
        mixed.fc.weight.mul_(2.5)
        mixed.fc.bias.mul_(2.5)
    emit("variant-softmax-prob-mixed", "softmax-saturation", ["keras-team/keras#5881"], "8 classes, mixed confidence, prob target",
         mixed, blocks(mixed), "prob", ["block1", "block2"], xs=x10, ys=y10)
    emit("variant-probability-outputs-mixed", "probability-outputs", ["sicara/tf-explain#54"], "8 classes, forward ends in softmax, mixed confidence",
         nn.Sequential(mixed, nn.Softmax(dim=1)).eval(), {"block2": mixed.block2}, "prob", ["block2"], xs=x10, ys=y10)
    # NaN from sqrt at 0 with a finite forward: a head that scales the scores by the feature norm,
    # sqrt(Σ f²), whose backward at f = 0 is ∞ · 0 = NaN (blank frames).
    class NormScaledHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = Net(k10, bias=False)

        def forward(self, x):
            f = self.net.features(x)
            return self.net.fc(f) * torch.sqrt((f ** 2).sum(1, keepdim=True))

    rms = NormScaledHead()
    train(rms, k10, steps=150, seed=21)
    xr, yr = make_data(N, k10, seed=998, blank=3)
    emit("variant-nan-sqrt-at-zero", "non-finite-gradients", ["frgfm/torch-cam#186"], "finite forward, sqrt at 0 in the head: NaN gradient for blank frames",
         rms, {"block2": rms.net.block2}, "logit", ["block2"], xs=xr, ys=yr)
    # Only the classifier's input block is frozen with no_grad; the ResNet stem before it is hooked too.
    class NoGradMiddle(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            with torch.no_grad():
                s = self.inner.stem(x)
            out = self.inner.bn2(self.inner.conv2(F.relu(self.inner.bn1(self.inner.conv1(s)))))
            out = self.inner.layer1(F.relu(out + s))
            return self.inner.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))

    resv = train(ResNetTiny(k10), k10, steps=150, seed=22)
    emit("variant-missing-grads-resnet-stem", "missing-gradients", ["kazuto1011/grad-cam-pytorch#33"], "ResNet stem under no_grad, block recorded too",
         NoGradMiddle(resv).eval(), {"stem": resv.stem, "layer1": resv.layer1}, "logit", ["stem", "layer1"], xs=x10, ys=y10)
    # A 1×1 layer recorded beside a spatial one.
    class PoolNamed(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.avgpool = nn.AdaptiveAvgPool2d(1)

        def forward(self, x):
            return self.inner.fc(self.avgpool(self._body(x)).flatten(1))

        def _body(self, x):
            s = self.inner.stem(x)
            out = self.inner.bn2(self.inner.conv2(F.relu(self.inner.bn1(self.inner.conv1(s)))))
            return self.inner.layer1(F.relu(out + s))

    pooled = PoolNamed(resv).eval()
    emit("variant-one-by-one-resnet", "no-spatial-extent", ["jacobgil/pytorch-grad-cam#25"], "ResNet: avgpool (1×1) recorded as the target layer",
         pooled, {"avgpool": pooled.avgpool}, "logit", ["avgpool"], xs=x10, ys=y10)
    # Dead ReLU at the residual block's output after a destructive update, only the stem recorded.
    deadres = copy.deepcopy(resv)
    with torch.no_grad():
        deadres.bn2.bias.sub_(1e3)  # the stem stays alive; the block's final ReLU closes the skip path too
    emit("variant-dead-relu-resnet", "dead-relu", ["keras-team/keras-io#1344"], "ResNet block output ReLU closed (bn2 bias pushed far negative)",
         deadres, {"stem": deadres.stem, "layer1": deadres.layer1}, "logit", ["stem", "layer1"], xs=x10, ys=y10)
    # One-output model explained at its logit: healthy (pytorch-grad-cam's BinaryClassifierOutputTarget).
    emit("variant-binary-logit-healthy", "healthy", ["jacobgil/pytorch-grad-cam#428"], "one-output model, logit target",
         binary, blocks(binary), "logit", ["block1", "block2"], xs=xb, ys=yb)
    # A well-trained 8-class net, loss target at moderate confidence: healthy.
    emit("variant-healthy-8class-logit", "healthy", ["loupe issue 13"], "8 classes, trained, logit target",
         net10, blocks(net10), "logit", ["block1", "block2"], xs=x10, ys=y10)

    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump({"generator": "scripts/reference/zero_grad_reference.py corpus", "torch": torch.__version__,
                   "samples_per_case": N, "cases": cases}, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(folder, c["case"] + ".h5")) for c in cases)
    print(f"wrote {len(cases)} dumps to {folder} ({total / 1024:.0f} KB)")


# ---------------------------------------------------------------------------------------------------
# The original two-file reference (make / check).


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
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check", "corpus"):
        print(__doc__)
        sys.exit(2)
    torch.set_num_threads(1)
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "corpus":
        corpus(sys.argv[2])
    else:
        sys.exit(0 if check(sys.argv[2]) else 1)
