"""Targets and gradients, checked against relations loupe_torch does not use itself.

* Each target's values against the softmax of the stored logits.
* Each target's gradient at `avgpool` (the input of fc) against fcᵀ · (d target / d logits) written
  analytically: e_y (logit), e_argmax (logit-predicted), p_y (e_y − p) (prob), p − e_y (loss).
* The prob target's gradient deep in the network against p_c (g_c − Σ_j p_j g_j), built from per-logit
  gradients g_j that come from logit dumps with every label set to j (as Loupe's probe tests do).
* Layers followed by in-place ReLUs against a reference that cuts the network by hand there.
* Frozen parameters, train mode before the call: same gradients; flags, modes and .grad restored.
"""

import h5py
import numpy as np
import pytest
import torch
import torchvision

import loupe_torch
from littleconv import LittleConv


HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))  # the inputs below are in [-1, 1]: pixels normalised by 0.5, 0.5


def tiny_resnet(seed=0, classes=5):
    torch.manual_seed(seed)
    model = torchvision.models.resnet18(num_classes=classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        model.fc.weight.mul_(8)  # wide logit margins, so prob/loss gradients differ visibly from logit ones
    return model


def batches(n=6, size=32, seed=1, classes=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    y = torch.randint(0, classes, (n,), generator=g)
    return [(x[:4], y[:4]), (x[4:], y[4:])], x, y


def read(path, *keys):
    with h5py.File(path, "r") as f:
        return [f[k][()] for k in keys]


def analytic_dlogits(target, z, y):
    z = z.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(z.shape[1])[y]
    if target == "logit":
        return onehot, z[np.arange(len(y)), y]
    if target == "logit-predicted":
        c = z.argmax(1)
        return np.eye(z.shape[1])[c], z[np.arange(len(y)), c]
    if target == "prob":
        py = p[np.arange(len(y)), y][:, None]
        return py * (onehot - p), py[:, 0]
    return p - onehot, -np.log(p[np.arange(len(y)), y])


@pytest.mark.parametrize("target", loupe_torch.TARGETS)
def test_target_values_and_gradients_follow_the_softmax(target, tmp_path):
    model = tiny_resnet()
    loader, _, y = batches()
    path = tmp_path / f"{target}.h5"
    loupe_torch.Probe(model, layers="layer4,avgpool", target=target, normalization=HALF).dump(loader, path, dtype="float32")
    z, values, g_pool, labels = read(path, "logits", "target_values", "gradients/avgpool", "probe/labels")
    assert np.array_equal(labels, y.numpy())
    dlogits, expected_values = analytic_dlogits(target, z, labels)
    assert np.allclose(values, expected_values, rtol=1e-5, atol=1e-6)
    expected = dlogits @ model.fc.weight.detach().double().numpy()
    got = g_pool.reshape(len(labels), -1)
    assert np.abs(got - expected).max() <= 1e-5 * max(np.abs(expected).max(), 1e-12)
    assert np.abs(expected).max() > 0


def test_prob_gradient_is_built_from_per_logit_gradients(tmp_path):
    model = tiny_resnet(classes=4)
    loader, x, y = batches(classes=4)
    loupe_torch.Probe(model, layers="layer3", target="prob", normalization=HALF).dump(loader, tmp_path / "prob.h5", dtype="float32")
    g_prob, p = read(tmp_path / "prob.h5", "gradients/layer3", "probabilities")
    per_logit = []
    for j in range(4):
        relabelled = [(x, torch.full((len(x),), j))]
        loupe_torch.Probe(model, layers="layer3", target="logit", normalization=HALF).dump(relabelled, tmp_path / f"g{j}.h5", dtype="float32")
        per_logit.append(read(tmp_path / f"g{j}.h5", "gradients/layer3")[0].astype(np.float64))
    g = np.stack(per_logit)  # K×N×C×h×w
    labels = y.numpy()
    n = np.arange(len(labels))
    mix = np.einsum("kn,kn...->n...", p.T.astype(np.float64), g)
    expected = p[n, labels].reshape(-1, 1, 1, 1) * (g[labels, n] - mix)
    assert np.abs(g_prob - expected).max() <= 1e-4 * np.abs(expected).max()


def test_probability_saturates_where_the_logit_does_not(tmp_path):
    torch.manual_seed(0)
    model = LittleConv(3, 3, (4, 4, 8, 8))
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.tensor([200.0, 0.0, 0.0]))  # margin 200: p_0 rounds to 1 in float32
    x = torch.rand(2, 3, 16, 16)
    for target, zero in (("prob", True), ("logit", False)):
        path = tmp_path / f"{target}.h5"
        with torch.no_grad():
            model.fc.weight[0] = 1e-3  # paths from every feature to the true logit
        loupe_torch.Probe(model, layers="features.11", target=target).dump([(x, torch.tensor([0, 0]))], path, dtype="float32")
        g = read(path, "gradients/features.11")[0]
        assert (np.abs(g).max() == 0) == zero, target


def test_inplace_relu_after_a_recorded_layer(tmp_path):
    """features.1 (BatchNorm) is overwritten by features.2 = ReLU(inplace=True): record it as it was."""
    torch.manual_seed(3)
    model = LittleConv(3, 3, (6, 8, 8, 8)).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
    loader, x, y = batches(n=5, size=16, classes=3)
    path = tmp_path / "d.h5"
    loupe_torch.Probe(model, layers="features.1,features.2", target="logit", normalization=HALF).dump(loader, path, dtype="float32")
    a_bn, g_bn, a_relu, g_relu = read(path, "activations/features.1", "gradients/features.1", "activations/features.2",
                                      "gradients/features.2")
    # Reference: cut the network after features.1 by hand, with an out-of-place ReLU.
    head = model.features[:2]
    tail = torch.nn.Sequential(torch.nn.ReLU(), *list(model.features[3:]))
    with torch.no_grad():
        pre = head(x)
    pre.requires_grad_(True)
    relu = torch.relu(pre)
    logits = model.fc(model.avgpool(tail[1:](relu)).flatten(1))
    g_pre, g_post = torch.autograd.grad(logits.gather(1, y[:, None]).sum(), [pre, relu])
    assert (a_bn < 0).any(), "the BatchNorm output has negative values, so an in-place ReLU would show"
    assert np.allclose(a_bn, pre.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.allclose(a_relu, relu.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.allclose(g_bn, g_pre.numpy(), rtol=1e-4, atol=1e-7)
    assert np.allclose(g_relu, g_post.numpy(), rtol=1e-4, atol=1e-7)
    assert not np.allclose(g_bn, g_relu), "ReLU masks the BatchNorm's gradient where its input was negative"


def test_frozen_backbone_in_train_mode_gives_the_same_gradients_and_is_restored(tmp_path):
    model = tiny_resnet()
    loader, _, _ = batches()
    loupe_torch.Probe(model, layers="layer2,layer4", normalization=HALF).dump(loader, tmp_path / "free.h5", dtype="float32")
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc.weight.requires_grad_(True)
    model.fc.weight.grad = torch.full_like(model.fc.weight, 0.25)
    model.train()
    model.layer1.eval()  # a mixed state that must come back as it was
    running = model.bn1.running_mean.clone()
    loupe_torch.Probe(model, layers="layer2,layer4", normalization=HALF).dump(loader, tmp_path / "frozen.h5", dtype="float32")
    for key in ("gradients/layer2", "gradients/layer4", "activations/layer2", "logits"):
        a, b = read(tmp_path / "free.h5", key)[0], read(tmp_path / "frozen.h5", key)[0]
        assert np.array_equal(a, b), key
    assert np.abs(read(tmp_path / "frozen.h5", "gradients/layer2")[0]).max() > 0
    assert model.training and not model.layer1.training and model.layer2.training
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight"]
    assert torch.equal(model.fc.weight.grad, torch.full_like(model.fc.weight, 0.25))
    assert all(p.grad is None for n, p in model.named_parameters() if n != "fc.weight")
    assert torch.equal(model.bn1.running_mean, running), "eval mode: BatchNorm statistics untouched"


def test_flags_are_restored_when_the_loader_fails(tmp_path):
    model = tiny_resnet()
    model.train()
    loader, _, _ = batches()

    def failing():
        yield loader[0]
        raise RuntimeError("disk gone")

    path = tmp_path / "d.h5"
    path.write_bytes(b"previous dump")
    with pytest.raises(RuntimeError, match="disk gone"):
        loupe_torch.Probe(model, normalization=HALF).dump(failing(), path)
    assert model.training and all(m.training for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())
    assert path.read_bytes() == b"previous dump", "a failed dump leaves the old file as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5"], "no temporary file is left"


def test_autocast_is_recorded_and_stored_as_asked(tmp_path):
    model = tiny_resnet()
    loader, _, _ = batches()
    path = tmp_path / "amp.h5"
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loupe_torch.Probe(model, layers="layer3", normalization=HALF).dump(loader, path, dtype="float16")
    with h5py.File(path, "r") as f:
        assert f.attrs["compute_dtype"] == "bfloat16" and f.attrs["dtype"] == "float16"
        assert f["activations/layer3"].dtype == np.float16 and f["logits"].dtype == np.float32
        assert np.abs(f["gradients/layer3"][()]).max() > 0
