"""Notebooks that compute: every report.ipynb (analyze, compare) is executed headless with
`jupyter nbconvert --to notebook --execute`, and each figure cell that re-draws from result.h5 must
produce a new picture. Dumps are written with h5py (docs/run-format.md); needs the debug build of
loupe (`swift build`, which `make test` runs first) or LOUPE_BIN.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LOUPE = os.environ.get("LOUPE_BIN", os.path.join(REPO, ".build", "debug", "loupe"))
PLUGINS = os.path.join(REPO, "analyzers", "linear-probe")


def loupe(*args):
    assert os.access(LOUPE, os.X_OK), f"{LOUPE} is missing: build Loupe first (swift build) or set LOUPE_BIN"
    p = subprocess.run([LOUPE, *args, "--quiet"], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, LOUPE_ANALYZER_PATH=PLUGINS))
    assert p.returncode == 0, f"loupe {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}"


def write_dump(path, epoch, seed, n=36, classes=3, size=8):
    """A complete little dump: images with an object mask, a layer's activations and gradients, an embedding."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    images = rng.integers(0, 255, size=(n, size, size, 3), dtype=np.uint8)
    mask = np.zeros((n, size, size), dtype=np.uint8)
    mask[:, 2:6, 2:6] = 1
    activations = np.abs(rng.normal(size=(n, 4, 4, 4))).astype(np.float32)
    gradients = (rng.normal(size=(n, 4, 4, 4)) * 0.1).astype(np.float32)
    embedding = (np.eye(classes, 6)[labels] * (2 + epoch) + rng.normal(size=(n, 6))).astype(np.float32)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "loupe-dump", "format_version": "1.0", "epoch": epoch, "target": "logit", "model": "h5py-test"})
        f["/probe/images"] = images
        f["/probe/labels"] = labels.astype(np.int32)
        f["/probe/ids"] = np.array([f"s{i}" for i in range(n)], dtype=h5py.string_dtype())
        f["/probe/classes"] = np.array([f"c{k}" for k in range(classes)], dtype=h5py.string_dtype())
        f["/probe/meta/mean_rgb"] = (images.reshape(n, -1, 3).mean(axis=1) / 255).astype(np.float32)
        f["/probe/meta/mask"] = mask
        f["/logits"] = rng.normal(size=(n, classes)).astype(np.float32)
        f["/embedding"] = embedding
        f["/activations/layer4"] = activations
        f["/gradients/layer4"] = gradients
    return path


def execute(notebook):
    """Runs the notebook in its folder; returns the executed notebook."""
    executed = notebook.replace(".ipynb", ".executed.ipynb")
    p = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", notebook,
                        "--output", os.path.basename(executed), "--ExecutePreprocessor.timeout=300"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"{notebook} did not run:\n{p.stderr[-4000:]}"
    return json.load(open(executed))


def check_computes(notebook, stored):
    """The first code cell loads the numbers; every re-drawing figure cell drew a picture."""
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    first = "".join(cells[0]["source"])
    assert "h5py.File(" in first and "json.load(" in first
    redraws = [c for c in cells if "plt.show()" in "".join(c["source"])]
    assert redraws, "no figure is re-drawn from the numbers"
    for cell in redraws:
        kinds = [o.get("output_type") for o in cell["outputs"]]
        assert any("image/png" in o.get("data", {}) for o in cell["outputs"]), f"cell drew nothing ({kinds}):\n{''.join(cell['source'])}"
    # Before running, each figure cell already shows the picture Loupe drew.
    figures = [c for c in stored["cells"] if c["cell_type"] == "code" and c["outputs"]]
    assert all("image/png" in c["outputs"][0]["data"] for c in figures)
    return len(redraws), len(figures)


def test_analyze_notebooks_run(tmp_path):
    dumps = [write_dump(str(tmp_path / "run" / "dumps" / f"epoch-000{e}.h5"), e, seed=e + 1) for e in (0, 3)]
    jobs = {
        "pca": [dumps[1]], "purity": dumps, "gradcam": dumps, "zero-grad": dumps,
        "tsne": [dumps[1], "--option", "perplexity=5", "--option", "iterations=300"],
    }
    for analyzer, args in jobs.items():
        out = tmp_path / analyzer
        loupe("analyze", analyzer, *args, "--out", str(out))
        stored = json.load(open(out / "report.ipynb"))
        redrawn, figures = check_computes(execute(str(out / "report.ipynb")), stored)
        assert redrawn >= 1 and figures >= redrawn, analyzer


def test_compare_notebook_runs(tmp_path):
    runs = []
    for i, name in enumerate(["scratch", "pretrained"]):
        for e in (0, 2):
            write_dump(str(tmp_path / name / "dumps" / f"epoch-000{e}.h5"), e, seed=10 * i + e)
        runs.append(str(tmp_path / name))
    out = tmp_path / "cmp"
    loupe("compare", *runs, "--analyzers", "pca,purity,cka,zero-grad,linear-probe", "--out", str(out))
    stored = json.load(open(out / "report.ipynb"))
    notebook = execute(str(out / "report.ipynb"))
    redrawn, _ = check_computes(notebook, stored)
    assert redrawn >= 4
    first = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])
    assert "metrics.csv" in first and "linear-probe" in first
