"""End to end: the Python linear-probe analyzer through `loupe analyze` and `loupe compare`.

Dumps are written with h5py as docs/run-format.md describes, so this also checks that files written
outside Loupe work. Needs the debug build (`swift build`, which `make test` runs first) or LOUPE_BIN.
"""
import csv
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_DIR = os.path.dirname(HERE)
PLUGIN = os.path.join(PLUGIN_DIR, "loupe-analyzer-linear-probe")
REPO = os.path.dirname(os.path.dirname(PLUGIN_DIR))
LOUPE = os.environ.get("LOUPE_BIN", os.path.join(REPO, ".build", "debug", "loupe"))


def loupe(*args, ok=True):
    assert os.access(LOUPE, os.X_OK), f"{LOUPE} is missing: build Loupe first (swift build) or set LOUPE_BIN"
    env = dict(os.environ, LOUPE_ANALYZER_PATH=PLUGIN_DIR)
    p = subprocess.run([LOUPE, *args], capture_output=True, text=True, env=env, timeout=600)
    if ok:
        assert p.returncode == 0, f"loupe {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p


def write_dump(path, seed, n=60, classes=3, dim=8, separation=4.0, colour=True):
    """Classes far apart in the embedding; the background colour random, unrelated to the class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    centres = rng.normal(size=(classes, dim)) * separation
    embedding = centres[labels] + rng.normal(size=(n, dim))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "loupe-dump"
        f.attrs["format_version"] = "1.0"
        f.attrs["epoch"] = 1
        f.create_dataset("/embedding", data=embedding.astype(np.float32))
        f.create_dataset("/probe/labels", data=labels.astype(np.int64))
        f.create_dataset("/probe/ids", data=np.array([f"s{i}" for i in range(n)], dtype=h5py.string_dtype()))
        if colour:
            f.create_dataset("/probe/meta/background", data=rng.uniform(size=(n, 3)).astype(np.float32))
    return path


def test_describe_matches_the_listing(tmp_path):
    described = json.loads(subprocess.run([PLUGIN, "--describe"], capture_output=True, text=True, check=True).stdout)
    listing = json.loads(loupe("analyzers", "--json").stdout)
    entry = next(a for a in listing if a["id"] == "linear-probe")
    assert entry["executable"] == os.path.realpath(PLUGIN)
    assert entry["input_mode"] == described["input_mode"] == "snapshot"
    assert [c["key"] for c in entry["compare_columns"]] == [c["key"] for c in described["compare_columns"]]
    assert [o["name"] for o in entry["options"]] == [o["name"] for o in described["options"]]
    builtin = next(a for a in listing if a["id"] == "pca")
    assert set(builtin) - {"executable"} <= set(entry), "external and built-in analyzers share one schema"


def test_analyze_end_to_end(tmp_path):
    dump = write_dump(str(tmp_path / "dumps" / "epoch-0001.h5"), seed=1)
    out = tmp_path / "lp"
    p = loupe("analyze", "linear-probe", dump, "--option", "test-fraction=0.5", "--option", "seed=3", "--out", str(out), "--quiet")
    assert "probe acc. (class)" in p.stdout
    for name in ["result.h5", "summary.json", "report.html", "report.ipynb", "linear_probe_confusion.csv"]:
        assert (out / name).exists(), name
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")], "no scratch folder is left behind"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["analyzer"] == "linear-probe" and summary["inputs"] == [dump]
    assert summary["options"]["test-fraction"] == "0.5" and summary["seed"] == 3
    assert summary["test_samples"] == 30
    # Separable classes are decoded; a colour unrelated to the embedding is not (chance is about 1/3).
    assert summary["class"]["test_accuracy"] >= 0.9
    assert summary["nuisance"]["test_accuracy"] < 0.7
    with h5py.File(out / "result.h5", "r") as f:
        assert f.attrs["format"] == "loupe-result" and f.attrs["analyzer"] == "linear-probe"
        assert len(f["/test_rows"]) == 30
        assert np.trace(f["/class/confusion"][...]) == round(30 * summary["class"]["test_accuracy"])
    rows = list(csv.reader(open(out / "linear_probe_confusion.csv")))
    assert len(rows) == 4 and sum(int(v) for r in rows[1:] for v in r[1:]) == 30


def test_same_seed_same_numbers_and_no_nuisance_is_fine(tmp_path):
    dump = write_dump(str(tmp_path / "d.h5"), seed=2, colour=False)
    a = loupe("analyze", "linear-probe", dump, "--out", str(tmp_path / "a"), "--quiet")
    b = loupe("analyze", "linear-probe", dump, "--out", str(tmp_path / "b"), "--quiet")
    sa = json.loads((tmp_path / "a" / "summary.json").read_text())
    sb = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert sa["class"] == sb["class"]
    assert sa["nuisance"] is None and "nuisance_note" in sa


def test_bad_option_is_a_clear_error_and_writes_nothing(tmp_path):
    dump = write_dump(str(tmp_path / "d.h5"), seed=2)
    p = loupe("analyze", "linear-probe", dump, "--option", "test-fraction=2", "--out", str(tmp_path / "x"), ok=False)
    assert p.returncode != 0
    assert "linear-probe" in p.stderr and "test-fraction" in p.stderr
    assert not (tmp_path / "x").exists()


def test_compare_with_a_builtin(tmp_path):
    runs = []
    for i, name in enumerate(["scratch", "pretrained"]):
        write_dump(str(tmp_path / name / "dumps" / "epoch-0001.h5"), seed=10 + i, separation=1.0 + 3 * i)
        runs.append(str(tmp_path / name))
    out = tmp_path / "cmp"
    loupe("compare", *runs, "--analyzers", "pca,linear-probe", "--out", str(out), "--quiet")
    table = list(csv.DictReader(open(out / "metrics.csv")))
    assert [r["run"] for r in table] == ["scratch", "pretrained"]
    assert "PC1 R² (class)" in table[0] and "probe acc. (class)" in table[0]
    for r, name in zip(table, ["scratch", "pretrained"]):
        s = json.loads((out / name / "linear-probe" / "summary.json").read_text())
        assert float(r["probe acc. (class)"]) == pytest.approx(s["class"]["test_accuracy"], abs=1e-3)
    assert "probe acc. (class) ↑" in (out / "metrics.md").read_text()
    assert "linear-probe/report.html" in (out / "report.html").read_text()
