"""The dump file itself: datasets, attributes, storage types, inputs, failures, memory, DDP."""

import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
import torch

import loupe_torch
from littleconv import LittleConv

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)


def pixels(n=5, size=16, channels=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)


def test_every_documented_dataset_and_attribute(tmp_path):
    model = LittleConv(3, 3, (4, 4, 8, 8))
    raw = pixels()
    meta = {"box": np.tile([[1.0, 2.0, 9.0, 12.0]], (5, 1)), "mask": (raw[:, 0] > 128).numpy().astype(np.uint8),
            "background": np.full((5, 3), 0.25, dtype=np.float32)}
    loader = [(raw[:3], torch.tensor([0, 1, 2]), ["a", "b", "c"], {k: v[:3] for k, v in meta.items()}),
              (raw[3:], torch.tensor([2, 0]), ["d", "e"], {k: v[3:] for k, v in meta.items()})]
    path = tmp_path / "run" / "dumps" / "epoch-0003.h5"
    probe = loupe_torch.Probe(model, classes=["x", "y", "z"], normalization=((0.5, 0.4, 0.3), (0.2, 0.25, 0.3)))
    assert probe.dump(loader, path, epoch=3, seed=11) == path
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert (a["format"], a["format_version"], a["writer"]) == ("loupe-dump", "1.0", f"loupe_torch {loupe_torch.__version__}")
        assert (a["epoch"], a["model"], a["run"], a["target"], a["mode"], a["dtype"]) == (3, "littleconv", "run", "logit", "eval", "float16")
        assert list(a["normalization_mean"]) == [0.5, 0.4, 0.3] and a["normalization_std"].dtype == np.float64
        assert (a["image_size"], a["seed"]) == (16, 11)
        assert list(a["layers"]) == ["features.3", "features.7", "features.11", "features.14", "features.15"]
        assert np.array_equal(f["probe/images"][()], raw.permute(0, 2, 3, 1).numpy())
        assert f["probe/images"].chunks == (1, 16, 16, 3)
        assert f["probe/labels"].dtype == np.int32 and list(f["probe/labels"][()]) == [0, 1, 2, 2, 0]
        assert [s.decode() for s in f["probe/ids"][()]] == ["a", "b", "c", "d", "e"]
        assert [s.decode() for s in f["probe/classes"][()]] == ["x", "y", "z"]
        assert np.array_equal(f["probe/meta/mask"][()], meta["mask"]) and f["probe/meta/mask"].dtype == np.uint8
        assert np.array_equal(f["probe/meta/box"][()], meta["box"].astype(np.float32))
        mean_rgb = raw.double().mean(dim=(2, 3)).numpy() / 255
        assert np.allclose(f["probe/meta/mean_rgb"][()], mean_rgb, rtol=1e-6)
        assert f["logits"].shape == (5, 3) and f["probabilities"].shape == (5, 3) and f["target_values"].shape == (5,)
        assert np.allclose(f["probabilities"][()].sum(1), 1, atol=1e-6)
        assert f["embedding"].shape == (5, 8)
        for layer, shape in (("features.3", (4, 8, 8)), ("features.15", (8, 1, 1))):
            for group in ("activations", "gradients"):
                d = f[f"{group}/{layer}"]
                assert d.shape == (5,) + shape and d.dtype == np.float16 and d.chunks == (1,) + shape
    assert sorted(os.listdir(path.parent)) == ["epoch-0003.h5"]


def test_uint8_and_normalised_float_input_give_one_dump(tmp_path):
    """uint8 pixels are normalised by the probe; float input is un-normalised for /probe/images."""
    model = LittleConv(2, 3, (4, 4, 8, 8))
    raw = pixels(4)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    normalised = (raw.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    labels = torch.tensor([0, 1, 1, 0])
    probe = loupe_torch.Probe(model, normalization=(mean, std))
    probe.dump([(raw, labels)], tmp_path / "u8.h5", dtype="float32")
    probe.dump([(normalised, labels)], tmp_path / "f32.h5", dtype="float32")
    with h5py.File(tmp_path / "u8.h5", "r") as a, h5py.File(tmp_path / "f32.h5", "r") as b:
        assert np.array_equal(a["probe/images"][()], b["probe/images"][()])
        assert np.allclose(a["logits"][()], b["logits"][()], rtol=1e-5, atol=1e-6)
        assert [s.decode() for s in a["probe/ids"][()]] == ["000000", "000001", "000002", "000003"]


def test_grayscale_images(tmp_path):
    model = LittleConv(2, 1, (4, 4, 8, 8))
    raw = pixels(3, channels=1)
    loupe_torch.Probe(model, normalization=((0.5,), (0.5,))).dump([(raw, torch.tensor([0, 1, 0]))], tmp_path / "g.h5")
    with h5py.File(tmp_path / "g.h5", "r") as f:
        assert f["probe/images"].shape == (3, 16, 16, 1)
        m = f["probe/meta/mean_rgb"][()]
        assert np.array_equal(m[:, 0], m[:, 1]) and np.array_equal(m[:, 1], m[:, 2])


def test_float32_storage_keeps_values_float16_rounds_them(tmp_path):
    model = LittleConv(2, 3, (4, 4, 8, 8))
    loader = [(pixels(3), torch.tensor([0, 1, 0]))]
    probe = loupe_torch.Probe(model, layers="features.3")
    probe.dump(loader, tmp_path / "a.h5", dtype="float32")
    probe.dump(loader, tmp_path / "b.h5", dtype=torch.float16)
    with h5py.File(tmp_path / "a.h5", "r") as a, h5py.File(tmp_path / "b.h5", "r") as b:
        assert a["activations/features.3"].dtype == np.float32 and b.attrs["dtype"] == "float16"
        full = a["activations/features.3"][()]
        assert np.array_equal(b["activations/features.3"][()], full.astype(np.float16))
    with pytest.raises(ValueError, match="float16.*float32"):
        probe.dump(loader, tmp_path / "c.h5", dtype="bfloat16")


def test_an_output_folder_that_is_not_writable(tmp_path):
    model = LittleConv(2, 3, (4, 4, 8, 8))
    loader = [(pixels(2), torch.tensor([0, 1]))]
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError, match="cannot create the folder"):
        loupe_torch.Probe(model).dump(loader, blocker / "dumps" / "epoch-0001.h5")
    with pytest.raises(OSError, match="cannot create the folder"):
        loupe_torch.save_checkpoint(model, blocker / "epoch-0001.h5", epoch=1, image_size=16)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the file-as-folder case covers root")
def test_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            loupe_torch.Probe(LittleConv(2, 3, (4, 4, 8, 8))).dump([(pixels(2), torch.tensor([0, 1]))], folder / "d.h5")
    finally:
        folder.chmod(0o755)


def test_bad_batches_fail_clearly_and_leave_nothing(tmp_path):
    model = LittleConv(2, 3, (4, 4, 8, 8))
    probe = loupe_torch.Probe(model, classes=["a", "b"])
    cases = [([(pixels(2), torch.tensor([0, 5]))], "label 5 is out of range for 2 classes"),
             ([], "yielded no samples"),
             ([(pixels(2), torch.tensor([0, 1])), (pixels(2, size=24), torch.tensor([0, 1]))], "one size"),
             ([(torch.rand(2, 3, 16, 16) * 4, torch.tensor([0, 1]))], "un-normalise")]
    for loader, message in cases:
        with pytest.raises(ValueError, match=message):
            probe.dump(loader, tmp_path / "d.h5")
        assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="3 names"):
        loupe_torch.Probe(model, classes=["a", "b", "c"]).dump([(pixels(2), torch.tensor([0, 1]))], tmp_path / "d.h5")
    with pytest.raises(ValueError, match="unknown target"):
        loupe_torch.Probe(model, target="margin")


STREAM = textwrap.dedent("""
    import resource, sys, torch
    sys.path.insert(0, {package!r})
    import loupe_torch
    torch.manual_seed(0)
    # One wide early layer: 2 MB of activations and gradients per sample in float32.
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(64, 4))
    n = int(sys.argv[1])
    batch = torch.randint(0, 256, (16, 3, 64, 64), dtype=torch.uint8)
    loader = ((batch, torch.arange(16) % 4) for _ in range(n // 16))
    loupe_torch.Probe(model, layers="0").dump(loader, sys.argv[2], dtype="float32")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def test_memory_does_not_grow_with_the_probe_set(tmp_path):
    """Peak memory for 32 and 256 samples (2 MB each): streaming keeps one batch, not the probe set."""
    script = tmp_path / "stream.py"
    script.write_text(STREAM.format(package=PACKAGE))
    peaks = {}
    # A fixed mmap threshold: glibc otherwise raises it as large blocks are freed and keeps up to 32 MB
    # blocks in the heap, a warm-up of the allocator (it levels off) that would blur what the dump holds.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="1048576")
    for n in (32, 256):
        out = subprocess.run([sys.executable, str(script), str(n), str(tmp_path / f"d{n}.h5")], capture_output=True,
                             text=True, check=True, env=env)
        peaks[n] = int(out.stdout.split()[-1]) / 1024  # MiB
        with h5py.File(tmp_path / f"d{n}.h5", "r") as f:
            assert f["activations/0"].shape == (n, 64, 64, 64)
        os.remove(tmp_path / f"d{n}.h5")
    growth = peaks[256] - peaks[32]
    data = 224 * 2 * 64 * 64 * 64 * 4 / 2**20  # the extra samples' activations and gradients: 448 MiB
    print(f"\npeak RSS: {peaks[32]:.0f} MiB for 32 samples, {peaks[256]:.0f} MiB for 256 (extra data {data:.0f} MiB)")
    assert growth < 0.05 * data, f"peak memory grew by {growth:.0f} MiB for {data:.0f} MiB more data"


DDP = textwrap.dedent("""
    import os, sys, torch, torch.distributed as dist
    sys.path.insert(0, {package!r}); sys.path.insert(0, {tests!r})
    import loupe_torch
    from littleconv import LittleConv
    rank, path = int(sys.argv[1]), sys.argv[2]
    dist.init_process_group("gloo", init_method="file://" + sys.argv[3], rank=rank, world_size=2)
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(LittleConv(2, 3, (4, 4, 8, 8)))
    x = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    loader = [(x, torch.tensor([0, 1, 0, 1]))]
    seen = []
    def batches():
        seen.append(rank)
        yield from loader
    loupe_torch.Probe(model).dump(batches(), path)
    # After the barrier the file is complete on every rank.
    import h5py
    with h5py.File(path, "r") as f:
        layers = list(f.attrs["layers"])
    loupe_torch.save_checkpoint(model, path + ".ckpt.h5", epoch=1, image_size=16)
    print(rank, len(seen), layers[0], loupe_torch.read_checkpoint(path + ".ckpt.h5").model, flush=True)
    dist.destroy_process_group()
""")


def test_under_ddp_only_rank_zero_writes(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("this PyTorch has no torch.distributed")
    script = tmp_path / "ddp.py"
    script.write_text(DDP.format(package=PACKAGE, tests=HERE))
    path = str(tmp_path / "dumps" / "epoch-0001.h5")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(script), str(r), path, str(tmp_path / "rendezvous")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    lines = sorted(out.split() for out, _ in outputs)
    # Rank 0 read the loader, rank 1 did not; both saw the finished file; names are the unwrapped model's.
    assert lines == [["0", "1", "features.3", "littleconv"], ["1", "0", "features.3", "littleconv"]]
    assert sorted(os.listdir(tmp_path / "dumps")) == ["epoch-0001.h5", "epoch-0001.h5.ckpt.h5"]


def test_embedding_defaults_and_a_named_module(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(6, 2))
    x = pixels(3)
    loader = [(x, torch.tensor([0, 1, 0]))]
    loupe_torch.Probe(model, layers="1").dump(loader, tmp_path / "a.h5", dtype="float32")
    loupe_torch.Probe(model, layers="1", embedding="5").dump(loader, tmp_path / "b.h5", dtype="float32")
    with torch.no_grad():
        h = model[1](model[0](x.float() / 255))
        features = model[5](model[4](model[3](model[2](h))))
    with h5py.File(tmp_path / "a.h5", "r") as a, h5py.File(tmp_path / "b.h5", "r") as b:
        assert np.allclose(a["embedding"][()], h.mean(dim=(2, 3)).numpy(), rtol=1e-5, atol=1e-7)  # last recorded, pooled
        assert np.allclose(b["embedding"][()], features.numpy(), rtol=1e-5, atol=1e-7)            # the named module
    with pytest.raises(loupe_torch.LayerError):
        loupe_torch.Probe(model, embedding="head")


class Constant(torch.nn.Module):
    """Outputs fixed values (plus 0·x, so the output depends on the input)."""

    def __init__(self, values):
        super().__init__()
        self.register_buffer("values", torch.tensor(values, dtype=torch.float32).view(1, 1, 2, -1))

    def forward(self, x):
        return self.values + 0 * x[:, :1, :2, : self.values.shape[-1]]


def test_float16_storage_rounds_to_nearest_even(tmp_path):
    """Values just below a power of two, where HDF5 1.10's own float16 conversion halves them."""
    values = [0.9999962, -0.06249291, 0.4576416, 1e-8, 3.0e-5, 65519.0, -2.0000002, 0.33333334]
    model = torch.nn.Sequential(Constant(values), torch.nn.Flatten(), torch.nn.Linear(8, 2))
    loupe_torch.Probe(model, layers="0").dump([(pixels(2), torch.tensor([0, 1]))], tmp_path / "h.h5", dtype="float16")
    with h5py.File(tmp_path / "h.h5", "r") as f:
        stored = f["activations/0"][()].reshape(2, -1)
    expected = np.array(values, dtype=np.float32).astype(np.float16)
    assert np.array_equal(stored[0], expected) and np.array_equal(stored[1], expected), stored[0]
    assert stored[0, 0] == 1.0 and stored[0, 1] == np.float16(-0.0625)
