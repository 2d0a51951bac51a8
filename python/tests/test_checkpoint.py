"""loupe-checkpoint files: written from PyTorch, read back, read from Loupe, architectures recognised."""

import json

import h5py
import numpy as np
import pytest
import torch
import torchvision

import loupe_torch
from littleconv import LittleConv


def test_round_trip_with_optimizer_state(tmp_path):
    torch.manual_seed(0)
    model = LittleConv(3, 3, (4, 8, 8, 16), dropout=0.25)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss = model(torch.rand(4, 3, 16, 16)).logsumexp(1).mean()
    loss.backward()
    optimizer.step()
    path = tmp_path / "run" / "checkpoints" / "epoch-0004.h5"
    loupe_torch.save_checkpoint(model, path, epoch=4, optimizer=optimizer, classes=["a", "b", "c"], image_size=16, seed=9)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert (a["format"], a["format_version"], a["model"], a["epoch"], a["num_classes"], a["in_channels"],
                a["image_size"], a["seed"]) == ("loupe-checkpoint", "1.0", "littleconv", 4, 3, 3, 16, 9)
        options = json.loads(a["model_options"])
        assert options == {"architecture": "littleconv", "numClasses": 3, "inputChannels": 3, "channels": [4, 8, 8, 16],
                           "smallInput": False, "dropout": 0.25}
        assert f["state/features.1.num_batches_tracked"].dtype == np.int64
        assert f["state/features.0.weight"].dtype == np.float32 and f["state/features.0.weight"].shape == (4, 3, 3, 3)
        assert list(f["state"].attrs["keys"]) == list(model.state_dict())
        assert f["optimizer"].attrs["type"] == "adamw" and f["optimizer"].attrs["step"] == 4
        assert {"exp_avg.fc.bias", "exp_avg_sq.fc.bias", "step.fc.bias", "exp_avg.features.0.weight"} <= set(f["optimizer"])
        assert f["optimizer/step.fc.bias"][()] == 1
        assert f["rng/state"].dtype == np.uint64
    ck = loupe_torch.read_checkpoint(path)
    assert (ck.model, ck.epoch, ck.classes, ck.image_size) == ("littleconv", 4, ["a", "b", "c"], 16)
    state = loupe_torch.load_checkpoint(path)
    assert list(state) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(state[key], value), key
    fresh = LittleConv(3, 3, (4, 8, 8, 16), dropout=0.25)
    fresh.load_state_dict(state, strict=True)
    exp_avg = optimizer.state[model.fc.bias]["exp_avg"]
    assert torch.equal(ck.optimizer_state["exp_avg.fc.bias"], exp_avg)


def test_sgd_momentum_slots():
    model = LittleConv(2, 3, (4, 4, 4, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.rand(2, 3, 16, 16)).sum().backward()
    optimizer.step()
    from loupe_torch._checkpoint import _optimizer_state, _optimizer_type
    keys = [k for k, _ in _optimizer_state(model, optimizer)]
    assert _optimizer_type(optimizer) == "sgd" and keys[0] == "momentum_buffer.features.0.weight"
    assert len(keys) == len(list(model.parameters()))


def test_architectures_are_recognised_by_structure():
    assert loupe_torch.detect(torchvision.models.resnet18(num_classes=7)).name == "resnet18"
    small = torchvision.models.resnet18(num_classes=7)
    small.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    small.maxpool = torch.nn.Identity()
    arch = loupe_torch.detect(small)
    assert (arch.name, arch.small_input, arch.aliases["stem"]) == ("resnet18", True, "relu")
    assert loupe_torch.detect(torchvision.models.resnet34(num_classes=7)).name == "unknown"
    wide = torchvision.models.resnet18(num_classes=7)
    wide.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 7))
    assert loupe_torch.detect(wide).name == "unknown"
    assert loupe_torch.detect(LittleConv(3, 1, (8, 8))).channels == [8, 8]
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(36, 2))
    assert loupe_torch.detect(other).name == "unknown"


def test_loupe_architectures_need_the_image_size(tmp_path):
    """Loupe rebuilds inputs at `image_size`; a checkpoint without it could not be re-probed."""
    with pytest.raises(ValueError, match="needs image_size"):
        loupe_torch.save_checkpoint(LittleConv(2, 3, (4, 4, 4, 4)), tmp_path / "c.h5", epoch=1)
    assert not (tmp_path / "c.h5").exists()


def test_unknown_models_are_saved_as_unknown(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, 2))
    path = tmp_path / "c.h5"
    loupe_torch.save_checkpoint(model, path, epoch=0)
    ck = loupe_torch.read_checkpoint(path)
    assert ck.model == "unknown" and ck.model_options == {} and ck.classes == ["0", "1"] and ck.in_channels == 3
    with pytest.raises(ValueError, match="structure"):
        loupe_torch.save_checkpoint(model, path, epoch=0, model_name="resnet18")
    with pytest.raises(ValueError, match="3 names"):
        loupe_torch.save_checkpoint(model, path, epoch=0, classes=["a", "b", "c"])


def test_not_a_checkpoint_is_refused(tmp_path):
    dump = tmp_path / "d.h5"
    with h5py.File(dump, "w") as f:
        f.attrs["format"] = "loupe-dump"
    with pytest.raises(ValueError, match="'loupe-dump' file, expected 'loupe-checkpoint'"):
        loupe_torch.load_checkpoint(dump)
    newer = tmp_path / "n.h5"
    with h5py.File(newer, "w") as f:
        f.attrs["format"] = "loupe-checkpoint"
        f.attrs["format_version"] = "2.0"
    with pytest.raises(ValueError, match="upgrade loupe_torch"):
        loupe_torch.load_checkpoint(newer)


def test_a_loupe_checkpoint_loads_strictly_into_torchvision(resnet_run):
    ck = loupe_torch.read_checkpoint(resnet_run / "checkpoints" / "epoch-0001.h5")
    assert ck.model == "resnet18" and ck.writer == "loupe" and ck.optimizer_type == "adamw"
    model = torchvision.models.resnet18(num_classes=ck.num_classes)
    model.load_state_dict(ck.state, strict=True)
    assert ck.state["bn1.num_batches_tracked"].dtype == torch.int64 and int(ck.state["bn1.num_batches_tracked"]) > 0
