"""Shared fixtures: the package from this checkout, the `loupe` binary, and tiny Loupe runs.

`loupe` is `.build/debug/loupe` of the checkout the tests run in (`make test` builds it first), or the
binary named by the LOUPE_BIN environment variable.
"""

import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))  # python/: loupe_torch from this checkout
sys.path.insert(0, HERE)                   # littleconv, support

import torch  # noqa: E402

torch.manual_seed(0)


def loupe_binary():
    path = os.environ.get("LOUPE_BIN") or os.path.join(REPO, ".build", "debug", "loupe")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no loupe binary at {path}: run `swift build --product loupe` (make test does) or set LOUPE_BIN")
    return path


class Loupe:
    """Runs the `loupe` CLI, failing the test with its output on a non-zero exit."""

    def __init__(self, path):
        self.path = path
        self.seconds = {}

    def __call__(self, *args, cwd=None):
        start = time.time()
        result = subprocess.run([self.path, *map(str, args)], cwd=cwd, capture_output=True, text=True)
        self.seconds[args[0]] = self.seconds.get(args[0], 0) + time.time() - start
        if result.returncode != 0:
            pytest.fail(f"loupe {' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result.stdout


@pytest.fixture(scope="session")
def loupe():
    return Loupe(loupe_binary())


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


#: Synthetic data, 4 classes at 32 px; half held out so the probe set (8) comes from 16 validation images.
DATA = "synthetic:classes=4,per-class=8,size=32"
COMMON = ["--data", DATA, "--image-size", "32", "--epochs", "1", "--batch-size", "8", "--probe-size", "8",
          "--validation-fraction", "0.5", "--threads", "2", "--seed", "3"]


@pytest.fixture(scope="session")
def resnet_run(loupe, runs):
    """A tiny ResNet-18 run trained for one epoch by `loupe train` (16 training images at 32 px)."""
    out = runs / "resnet"
    loupe("train", "--model", "resnet18", *COMMON, "--out", out)
    return out


@pytest.fixture(scope="session")
def littleconv_run(loupe, runs):
    """A tiny LittleConv run (channels 8,16,16,32) trained for one epoch by `loupe train`."""
    out = runs / "littleconv"
    loupe("train", "--model", "littleconv", "--channels", "8,16,16,32", *COMMON, "--out", out)
    return out
