#!/usr/bin/python3
"""Writes the committed seed corpus of every fuzz target into fuzz/corpus/<target>/.

Seeds are small valid files, written by tools other than Loupe where one exists (h5py, Pillow), plus a
few Loupe-written ones that `make fuzz-seeds` adds from a tiny training run. Deterministic: re-running
gives the same bytes except HDF5's own timestamps, which h5py turns off here.

    /usr/bin/python3 fuzz/make_seeds.py            # rewrites fuzz/corpus/{dump,safetensors,png,jpeg,idx,cifar,voc,config}
"""
import io
import json
import os
import struct
import sys

import h5py
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def out(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def h5_bytes(build):
    bio = io.BytesIO()
    with h5py.File(bio, "w", track_order=False, libver="earliest") as f:
        build(f)
    return bio.getvalue()


def dump_seeds(rng):
    n, k, c, h = 3, 2, 2, 2

    def minimal(f):
        # What a PyTorch user writes by hand: no format attribute, activations and gradients only.
        f["activations/layer4"] = rng.standard_normal((n, c, h, h)).astype(np.float32)
        f["gradients/layer4"] = rng.standard_normal((n, c, h, h)).astype(np.float32)
        f["probe/labels"] = np.array([0, 1, 0], dtype=np.int64)

    def full(f):
        f.attrs["format"] = "loupe-dump"
        f.attrs["format_version"] = "1.0"
        f.attrs["epoch"] = 3
        f.attrs["model"] = "resnet18"
        f.attrs["target"] = "prob"
        f.attrs["image_size"] = 4
        f.attrs["seed"] = 7
        f.attrs["dtype"] = "float16"
        f.attrs["layers"] = ["layer3", "layer4"]
        f.attrs["normalization_mean"] = np.array([0.5, 0.5, 0.5])
        f.attrs["normalization_std"] = np.array([0.25, 0.25, 0.25])
        f["probe/images"] = rng.integers(0, 255, (n, 4, 4, 3), dtype=np.uint8)
        f["probe/labels"] = np.array([0, 1, 1], dtype=np.int32)
        f["probe/ids"] = np.array([b"a/0", b"b/1", b"b/2"], dtype=h5py.string_dtype())
        f["probe/classes"] = np.array([b"cat", b"dog"], dtype=h5py.string_dtype())
        f["probe/meta/mean_rgb"] = rng.random((n, 3), dtype=np.float32)
        f["probe/meta/background"] = rng.random((n, 3), dtype=np.float32)
        f["probe/meta/box"] = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 1, 4, 4]], dtype=np.float32)
        f["probe/meta/mask"] = rng.integers(0, 2, (n, 4, 4), dtype=np.uint8)
        logits = rng.standard_normal((n, k)).astype(np.float32)
        f["logits"] = logits
        f["probabilities"] = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
        f["target_values"] = rng.random(n, dtype=np.float32)
        f["embedding"] = rng.standard_normal((n, c)).astype(np.float32)
        for layer, side in (("layer3", 2), ("layer4", 1)):
            f["activations/" + layer] = rng.standard_normal((n, c, side, side)).astype(np.float16)
            f["gradients/" + layer] = rng.standard_normal((n, c, side, side)).astype(np.float16)

    def integer_version(f):
        full(f)
        f.attrs["format_version"] = 1

    out("dump", "h5py-minimal.h5", h5_bytes(minimal))
    out("dump", "h5py-full.h5", h5_bytes(full))
    out("dump", "h5py-int-version.h5", h5_bytes(integer_version))


def safetensors_seeds(rng):
    def encode(tensors, metadata=None):
        header, body = {}, b""
        for name, array in tensors.items():
            dtype = {np.float32: "F32", np.float16: "F16", np.float64: "F64", np.int64: "I64", np.int32: "I32", np.uint8: "U8"}[array.dtype.type]
            raw = array.tobytes()
            header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [len(body), len(body) + len(raw)]}
            body += raw
        if metadata:
            header["__metadata__"] = metadata
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        return struct.pack("<Q", len(text)) + text + body

    out("safetensors", "two-tensors.safetensors", encode({
        "conv1.weight": rng.standard_normal((2, 3, 3, 3)).astype(np.float32),
        "fc.bias": rng.standard_normal(4).astype(np.float16)}, {"format": "pt"}))
    out("safetensors", "dtypes.safetensors", encode({
        "a": np.arange(3, dtype=np.float64), "b": np.arange(2, dtype=np.int64), "c": np.arange(5, dtype=np.uint8),
        "d": np.arange(2, dtype=np.int32), "bn1.num_batches_tracked": np.array(7, dtype=np.int64)}))


def image_seeds(rng):
    def save(target, name, image, fmt, **options):
        bio = io.BytesIO()
        image.save(bio, fmt, **options)
        out(target, name, bio.getvalue())

    rgb = Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8), "RGB")
    save("png", "rgb.png", rgb, "PNG")
    save("png", "gray.png", rgb.convert("L"), "PNG")
    save("png", "rgba.png", rgb.convert("RGBA"), "PNG")
    save("png", "palette.png", rgb.convert("P"), "PNG")
    save("png", "gray16.png", Image.fromarray((rng.integers(0, 65535, (4, 3))).astype(np.uint16)), "PNG")
    save("png", "interlaced.png", rgb, "PNG", optimize=False)
    save("jpeg", "rgb.jpg", rgb, "JPEG", quality=80)
    save("jpeg", "gray.jpg", rgb.convert("L"), "JPEG")
    save("jpeg", "progressive.jpg", rgb.resize((17, 9)), "JPEG", progressive=True)
    save("jpeg", "subsampled.jpg", rgb.resize((16, 16)), "JPEG", subsampling=2)


def idx_seeds(rng):
    def idx(array):
        return bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()

    out("idx", "images.idx", idx(rng.integers(0, 255, (2, 3, 3), dtype=np.uint8)))
    out("idx", "labels.idx", idx(np.array([1, 0, 9], dtype=np.uint8)))


def cifar_seeds(rng):
    records = [bytes([label]) + rng.integers(0, 255, 3072, dtype=np.uint8).tobytes() for label in (3, 9)]
    out("cifar", "two-records.bin", b"".join(records))


def voc_seeds():
    out("voc", "n02085620_7.xml", b"""<annotation>
\t<folder>02085620</folder><filename>n02085620_7</filename>
\t<size><width>250</width><height>188</height><depth>3</depth></size>
\t<object><name>Chihuahua</name><bndbox><xmin>71</xmin><ymin>1</ymin><xmax>192</xmax><ymax>180</ymax></bndbox></object>
</annotation>
""")
    out("voc", "no-size.xml", b"<annotation><object><bndbox><xmin>1.5</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>")


def main():
    rng = np.random.default_rng(0)
    dump_seeds(rng)
    safetensors_seeds(rng)
    image_seeds(rng)
    idx_seeds(rng)
    cifar_seeds(rng)
    voc_seeds()
    print("seeds written to", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
