"""Layer names and `--layers` patterns: the same grammar and names as `loupe probe`."""

import ctypes
import ctypes.util

import pytest
import torch
import torchvision

import loupe_torch
from littleconv import LittleConv

NAMES = ["layer1", "layer1.0", "layer1.0.relu", "layer1.0.relu:1", "layer3.1.bn2", "layer4", "layer10", "features.1",
         "features.12", "fc", "a-b", "x]y", "x\\y", "a*b", "^k", "!k"]
PATTERNS = ["*", "layer?", "layer1.*", "layer[13]*", "layer[!1]*", "layer[^1]*", "features.1?", "*relu:1", "layer[0-9]",
            "[]]*", "x[]]y", "a[a-c-]b", "a\\*b", "a\\-b", "\\^k", "[!]k", "[", "layer[", "*.[0-9]", "[z-a]*", "x\\\\y"]


def libc_fnmatch():
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return getattr(libc, "fnmatch", None)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_globs_match_as_libc_fnmatch_does(pattern):
    reference = libc_fnmatch()
    if reference is None:
        pytest.skip("no C library fnmatch to compare with")
    for name in NAMES:
        expected = reference(pattern.encode(), name.encode(), 0) == 0
        assert loupe_torch.fnmatch(name, pattern) == expected, f"fnmatch({pattern!r}, {name!r})"


def test_resnet_layer_names_follow_loupe():
    model = torchvision.models.resnet18(num_classes=3)
    probe = loupe_torch.Probe(model)
    names = [n for n, _ in probe.layer_names(torch.zeros(1, 3, 32, 32))]
    # torchvision's BasicBlock calls its one `relu` twice: the first call is `relu:1`, the last plain.
    block = [n for n in names if n.startswith("layer1.0")]
    assert block == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu:1", "layer1.0.conv2", "layer1.0.bn2",
                     "layer1.0.relu", "layer1.0"]
    assert names.index("layer2.0.downsample") < names.index("layer2.0.relu") < names.index("layer2.0") < names.index("layer2")
    assert names[-2:] == ["avgpool", "fc"]


def test_defaults_globs_and_aliases():
    model = torchvision.models.resnet18(num_classes=3)
    x = torch.zeros(1, 3, 32, 32)
    assert [n for n, _ in loupe_torch.Probe(model).resolve_layers(x)] == ["layer1", "layer2", "layer3", "layer4"]
    chosen = [n for n, _ in loupe_torch.Probe(model, layers="layer4,layer3.*").resolve_layers(x)]
    assert chosen[-1] == "layer4" and "layer3.0.relu:1" in chosen and "layer3" not in chosen
    assert all(n.startswith("layer3.") for n in chosen[:-1])
    aliases = loupe_torch.Probe(model, layers=["block2", "stem", "embedding"]).resolve_layers(x)
    assert [n for n, _ in aliases] == ["maxpool", "layer2", "avgpool"]
    little = LittleConv(2, 3, (4, 4, 8, 8))
    assert [n for n, _ in loupe_torch.Probe(little).resolve_layers(torch.zeros(1, 3, 32, 32))] == \
        ["features.3", "features.7", "features.11", "features.14", "features.15"]


def test_a_bad_layer_name_lists_the_valid_ones():
    model = torchvision.models.resnet18(num_classes=3)
    with pytest.raises(loupe_torch.LayerError) as error:
        loupe_torch.Probe(model, layers=["layer4", "layer5"])
    message = str(error.value)
    assert "layer5" in message and "layer4" in message and "conv1" in message and "block1" in message


def test_a_glob_matching_nothing_fails_with_the_valid_names(tmp_path):
    model = LittleConv(2, 3, (4, 4, 8, 8))
    probe = loupe_torch.Probe(model, layers="classifier.*")
    with pytest.raises(loupe_torch.LayerError, match="matches no layer.*features.3"):
        probe.dump([(torch.zeros(2, 3, 16, 16), torch.tensor([0, 1]))], tmp_path / "d.h5")
    assert list(tmp_path.iterdir()) == []


def test_a_vector_layer_is_refused_with_the_reason(tmp_path):
    probe = loupe_torch.Probe(LittleConv(2, 3, (4, 4, 8, 8)), layers="fc")
    with pytest.raises(loupe_torch.LayerError, match="C×h×w"):
        probe.dump([(torch.zeros(2, 3, 16, 16), torch.tensor([0, 1]))], tmp_path / "d.h5")


def test_unknown_models_default_to_top_level_spatial_modules(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(4, 2))
    probe = loupe_torch.Probe(model)
    assert probe.model_name == "unknown"
    assert [n for n, _ in probe.resolve_layers(torch.zeros(1, 3, 8, 8))] == ["0", "1", "2"]
