"""Parity with Loupe's own dumps: the same checkpoint, the same probe images, two writers.

`loupe train` trains a tiny run; `loupe probe` dumps its checkpoint (float32); loupe_torch loads the
checkpoint into torchvision's resnet18 (or the LittleConv of littleconv.py) and dumps the same probe
images. Every dataset is compared: logits, probabilities and target values within 1e-5 relative,
activations, gradients and the embedding within 1e-4 relative (max |a − b| / max |b| per dataset), and
ids, labels, images, classes and metadata identical. Then every analyzer runs on the loupe_torch dump and
Grad-CAM's maps agree with those from Loupe's dump.
"""

import json
import math

import h5py
import numpy as np
import pytest
import torch
import torchvision

import loupe_torch
from littleconv import LittleConv
from support import attrs, classes_of, datasets, probe_batches, relative, relu_ties

OUTPUT_TOLERANCE = 1e-5   # logits, probabilities, target values
LAYER_TOLERANCE = 1e-4    # activations, gradients, embedding
OUTPUTS = ("logits", "probabilities", "target_values")

#: Stage outputs plus layers followed by in-place operations in torchvision (bn1 → ReLU(inplace),
#: bn2 → `out += identity`), the first of two calls of one ReLU module, and a downsample branch.
RESNET_LAYERS = "layer1,layer2,layer3,layer4,layer1.0.bn1,layer1.0.relu:1,layer1.0.bn2,layer2.0.downsample.1,layer4.1.conv2"
#: Loupe's defaults for LittleConv, plus a BatchNorm whose output an in-place ReLU overwrites.
LITTLECONV_LAYERS = "features.3,features.7,features.11,features.14,features.15,features.1,features.2"


def torch_model(checkpoint):
    ck = loupe_torch.read_checkpoint(checkpoint)
    if ck.model == "resnet18":
        model = torchvision.models.resnet18(num_classes=ck.num_classes)
    else:
        model = LittleConv(ck.num_classes, ck.in_channels, ck.model_options["channels"])
    model.load_state_dict(ck.state, strict=True)
    return model, ck


def both_dumps(loupe, run, layers, target, folder):
    """(Loupe's dump, loupe_torch's dump, the samples with a ReLU tie) of the run's epoch-1 checkpoint, float32."""
    checkpoint = run / "checkpoints" / "epoch-0001.h5"
    ref = folder / "loupe.h5"
    loupe("probe", "--checkpoint", checkpoint, "--target", target, "--layers", layers, "--dtype", "float32",
          "--threads", "2", "--out", ref)
    model, ck = torch_model(checkpoint)
    batches, normalization = probe_batches(ref, batch_size=3)
    ours = folder / "torch.h5"
    probe = loupe_torch.Probe(model, layers=layers, target=target, classes=ck.classes, normalization=normalization)
    probe.dump(batches, ours, epoch=ck.epoch, dtype="float32", run=attrs(ref)["run"], seed=ck.seed)
    return ref, ours, relu_ties(model, batches)


def figures(ours, ref, ties=frozenset()):
    """Max relative difference per numeric dataset (float datasets only); the gradients leave out the samples in
    `ties` (a ReLU input at zero within rounding, see support.relu_ties), which must be under half of them."""
    a, b = datasets(ours), datasets(ref)
    assert set(a) == set(b), f"datasets differ: only ours {set(a) - set(b)}, only Loupe's {set(b) - set(a)}"
    n = len(b["probe/labels"])
    assert 2 * len(ties) < n, f"ReLU ties in {len(ties)} of {n} samples: too many to compare gradients"
    keep = np.array([i not in ties for i in range(n)])
    pick = lambda k, x: x[keep] if k.startswith("gradients/") else x
    return {k: relative(pick(k, a[k]), pick(k, b[k])) for k in sorted(b) if b[k].dtype.kind == "f"}


CASES = {
    "resnet18-logit": ("resnet_run", RESNET_LAYERS, "logit"),
    "littleconv-logit": ("littleconv_run", LITTLECONV_LAYERS, "logit"),
    "littleconv-prob": ("littleconv_run", LITTLECONV_LAYERS, "prob"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def parity(request, loupe, tmp_path_factory):
    run_fixture, layers, target = CASES[request.param]
    run = request.getfixturevalue(run_fixture)
    ref, ours, ties = both_dumps(loupe, run, layers, target, tmp_path_factory.mktemp(request.param))
    return request.param, ref, ours, ties


def test_every_dataset_within_tolerance(parity):
    name, ref, ours, ties = parity
    diffs = figures(ours, ref, ties)
    print(f"\nparity {name} (gradients without ReLU-tie samples {sorted(ties)}): "
          + json.dumps({k: float(f"{v:.2e}") for k, v in diffs.items()}))
    for key, value in diffs.items():
        tolerance = OUTPUT_TOLERANCE if key in OUTPUTS else LAYER_TOLERANCE
        assert value <= tolerance, f"{name} {key}: max relative difference {value:.2e} > {tolerance:.0e}"
    # The comparison is not vacuous: layers hold non-zero activations and gradients.
    b = datasets(ref)
    for key in b:
        if key.startswith(("activations/", "gradients/")):
            assert np.abs(b[key]).max() > 0, f"{key} is all zero in Loupe's dump"


def test_probe_facts_are_identical(parity):
    name, ref, ours, _ = parity
    a, b = datasets(ours), datasets(ref)
    for key in ("probe/ids", "probe/labels", "probe/images", "probe/classes", "probe/meta/box", "probe/meta/mask",
                "probe/meta/background", "probe/meta/mean_rgb"):
        assert np.array_equal(a[key], b[key]), f"{name}: {key} differs"
        assert a[key].dtype.kind == b[key].dtype.kind and a[key].shape == b[key].shape
    ra, rb = attrs(ours), attrs(ref)
    assert ra["writer"].startswith("loupe_torch ") and rb["writer"] == "loupe"
    for key in set(rb) - {"writer"}:
        assert np.array_equal(np.asarray(ra[key]), np.asarray(rb[key])), f"{name}: attribute {key}: {ra[key]} vs {rb[key]}"


def test_gradcam_maps_agree(parity, loupe, tmp_path):
    name, ref, ours, _ = parity
    results = {}
    for label, dump in (("torch", ours), ("loupe", ref)):
        loupe("analyze", "gradcam", dump, "--option", "layers=all", "--option", "samples=4", "--quiet", "--out", tmp_path / label)
        results[label] = datasets(tmp_path / label / "result.h5")
    a, b = results["torch"], results["loupe"]
    assert set(a) == set(b)
    compared = 0
    worst = {}
    for key in b:
        if b[key].dtype.kind not in "fiu":
            continue
        x, y = np.asarray(a[key], dtype=np.float64), np.asarray(b[key], dtype=np.float64)
        assert np.array_equal(np.isnan(x), np.isnan(y)), f"{name} {key}: NaN positions differ"
        if key.endswith("/status"):
            assert np.array_equal(x, y), f"{name} {key}: map status differs"
        finite = ~np.isnan(y)
        worst[key.rsplit("/", 1)[-1]] = max(worst.get(key.rsplit("/", 1)[-1], 0.0), relative(x[finite], y[finite]))
        compared += 1
    print(f"\ngradcam {name}: " + json.dumps({k: float(f"{v:.2e}") for k, v in sorted(worst.items())}))
    assert compared > 0
    for key, value in worst.items():
        assert value <= 1e-4, f"{name} gradcam {key}: max relative difference {value:.2e}"


def analyzer_options():
    """Options that fit 8 probe samples (t-SNE needs N > 3·perplexity, k-NN fewer neighbours than N)."""
    return {"tsne": ["perplexity=2", "iterations=300"], "purity": ["knn=3", "restarts=2"], "pca": ["components=4"]}


def test_every_analyzer_runs_on_the_torch_dump(loupe, resnet_run, tmp_path):
    ref, ours, _ = both_dumps(loupe, resnet_run, "layer3,layer4", "logit", tmp_path)
    listing = json.loads(loupe("analyzers", "--json"))
    assert len(listing) >= 6
    options = analyzer_options()
    for analyzer in listing:
        files = [ours, ref] if analyzer["inputs"].startswith("two") else [ours]
        args = [a for o in options.get(analyzer["id"], []) for a in ("--option", o)]
        out = tmp_path / analyzer["id"]
        loupe("analyze", analyzer["id"], *files, *args, "--quiet", "--out", out)
        assert (out / "result.h5").exists() and (out / "summary.json").exists(), analyzer["id"]
        if analyzer["id"] == "cka":
            # The same representation written twice: linear CKA is 1 up to rounding.
            summary = json.loads((out / "summary.json").read_text())
            values = [v for v in _numbers(summary) if 0.5 < v <= 1.0 + 1e-6]
            assert values and max(abs(v - 1) for v in values) < 1e-4, summary


def test_loupe_compare_reads_torch_and_loupe_runs(loupe, resnet_run, tmp_path):
    """`loupe compare` on a run folder written by loupe_torch next to one written by Loupe."""
    ref, ours, _ = both_dumps(loupe, resnet_run, "layer3,layer4", "logit", tmp_path)
    for name, dump in (("torch-run", ours), ("loupe-run", ref)):
        (tmp_path / name / "dumps").mkdir(parents=True)
        (tmp_path / name / "dumps" / "epoch-0001.h5").write_bytes(dump.read_bytes())
    out = tmp_path / "compare"
    loupe("compare", tmp_path / "torch-run", tmp_path / "loupe-run", "--option", "perplexity=2", "--option", "iterations=300",
          "--option", "knn=3", "--option", "components=4", "--quiet", "--out", out)
    assert any(p.suffix == ".csv" for p in out.rglob("*")) and any(p.suffix == ".png" for p in out.rglob("*"))


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool) and math.isfinite(obj):
        yield float(obj)


@pytest.mark.parametrize("arch", ["littleconv", "resnet18"])
def test_loupe_reprobes_a_torch_checkpoint(arch, loupe, littleconv_run, tmp_path):
    """The other direction: a PyTorch model saved by loupe_torch is run by `loupe probe` and `loupe evaluate`."""
    torch.manual_seed(7)
    classes = loupe_torch.read_checkpoint(littleconv_run / "checkpoints" / "epoch-0001.h5").classes
    if arch == "littleconv":
        model = LittleConv(len(classes), 3, (4, 8, 8, 16))
    else:
        model = torchvision.models.resnet18(num_classes=len(classes))
    with torch.no_grad():  # non-trivial BatchNorm statistics, so eval mode is tested too
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    checkpoint = tmp_path / "run" / "checkpoints" / "epoch-0002.h5"
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loupe_torch.save_checkpoint(model, checkpoint, epoch=2, optimizer=optimizer, classes=classes, image_size=32)
    assert loupe_torch.read_checkpoint(checkpoint).model == arch
    ref = tmp_path / "loupe.h5"
    loupe("probe", "--checkpoint", checkpoint, "--data", "synthetic:classes=4,per-class=4,size=32", "--probe-size", "6",
          "--dtype", "float32", "--threads", "2", "--out", ref)
    evaluation = loupe("evaluate", "--checkpoint", checkpoint, "--data", "synthetic:classes=4,per-class=4,size=32")
    assert evaluation.strip()
    batches, normalization = probe_batches(ref, batch_size=4)
    ours = tmp_path / "torch.h5"
    loupe_torch.Probe(model, classes=classes_of(ref), normalization=normalization).dump(
        batches, ours, epoch=2, dtype="float32", run=attrs(ref)["run"])
    ties = relu_ties(model, batches)
    diffs = figures(ours, ref, ties)
    print(f"\nreprobe {arch} (gradients without ReLU-tie samples {sorted(ties)}): "
          + json.dumps({k: float(f"{v:.2e}") for k, v in diffs.items()}))
    for key, value in diffs.items():
        assert value <= (OUTPUT_TOLERANCE if key in OUTPUTS else LAYER_TOLERANCE), f"{arch} {key}: {value:.2e}"
    with h5py.File(ref, "r") as f:
        assert list(f.attrs["layers"]) == list(h5py.File(ours, "r").attrs["layers"])
