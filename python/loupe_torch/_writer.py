"""Streams a ``loupe-dump`` file (docs/run-format.md, "Dump") to disk one batch at a time.

Every per-sample dataset is created resizable on the first batch and grown by each later one, so
memory holds one batch however long the probe set is, and the number of samples need not be known
in advance. Images, masks, activations and gradients have one sample per chunk (an analyzer reads one
image without the rest), as Loupe writes them.
"""

import os

import h5py
import numpy as np

from . import _atomic

__all__ = ["DumpWriter", "FORMAT", "FORMAT_VERSION"]

FORMAT = "loupe-dump"
FORMAT_VERSION = "1.0"
_STRING = h5py.string_dtype("utf-8")
#: Bytes per chunk of the small per-sample tables (labels, logits, embedding, …), at most 256 rows.
_TABLE_CHUNK_BYTES = 256 * 1024


class DumpWriter:
    """One dump being written; ``append`` batches, then ``commit`` (or ``discard`` on failure)."""

    def __init__(self, path, attrs, layers, storage, compression=None):
        self.path = path
        self.layers = list(layers)
        self.storage = np.dtype(storage)
        self.compression = compression
        self.rows = 0
        self.meta_keys = None
        self._temporary = _atomic.temporary_path(path)
        self._file = h5py.File(self._temporary, "w")
        try:
            for key, value in attrs.items():
                if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
                    self._file.attrs.create(key, np.array(value, dtype=object), dtype=_STRING)
                elif isinstance(value, str):
                    self._file.attrs[key] = str(value)  # plain str: subclasses (TorchVersion) have no HDF5 type
                else:
                    self._file.attrs[key] = value
        except BaseException:
            self.discard()
            raise

    def append(self, rows):
        """Writes one batch: ``rows`` maps dataset paths to arrays with the batch along axis 0."""
        f = self._file
        n = len(rows["/probe/labels"])
        if self.rows == 0:
            self._create(rows)
        else:
            keys = {k for k in rows if k.startswith("/probe/meta/")}
            if keys != self.meta_keys:
                raise ValueError(f"batch at sample {self.rows} has metadata {sorted(keys)}, the first batch had "
                                 f"{sorted(self.meta_keys)}: every batch must yield the same keys")
        start, end = self.rows, self.rows + n
        for path, values in rows.items():
            d = f[path]
            if tuple(values.shape[1:]) != d.shape[1:]:
                raise ValueError(f"{path}: batch at sample {start} has per-sample shape {tuple(values.shape[1:])}, "
                                 f"earlier batches {d.shape[1:]}: all probe images must have one size")
            if values.dtype != d.dtype and values.dtype.kind == "f":
                # numpy rounds to nearest even; HDF5 1.10's own float32 → float16 conversion does not
                # (values just below a power of two come out halved: 0.9999962 → 0.5).
                values = values.astype(d.dtype)
            d.resize(end, axis=0)
            d[start:end] = values
        self.rows = end

    def _create(self, rows):
        f = self._file
        self.meta_keys = {k for k in rows if k.startswith("/probe/meta/")}
        for path, values in rows.items():
            per_sample = tuple(values.shape[1:])
            big = path in ("/probe/images", "/probe/meta/mask") or path.startswith(("/activations/", "/gradients/"))
            if path in ("/probe/images", "/probe/meta/mask"):
                compression, options = "gzip", 1  # as Loupe: deflate level 1, no shuffle
            elif path.startswith(("/activations/", "/gradients/")) and self.compression:
                compression, options = "gzip", int(self.compression)
            else:
                compression, options = None, None
            if path.startswith(("/activations/", "/gradients/")):
                dtype = self.storage
            elif path == "/probe/ids":
                dtype = _STRING
            else:
                dtype = values.dtype
            row_bytes = max(1, int(np.prod(per_sample, dtype=np.int64)) * max(1, np.dtype(values.dtype).itemsize))
            rows_per_chunk = 1 if big else max(1, min(256, _TABLE_CHUNK_BYTES // row_bytes))
            chunk = (rows_per_chunk,) + per_sample
            f.create_dataset(path, shape=(0,) + per_sample, maxshape=(None,) + per_sample, dtype=dtype, chunks=chunk,
                             compression=compression, compression_opts=options)

    def set_attr(self, key, value):
        self._file.attrs[key] = value

    def write_classes(self, classes):
        self._file.create_dataset("/probe/classes", data=np.array(list(classes), dtype=object), dtype=_STRING)

    def commit(self):
        """Closes the file and renames it to its final name; a file under that name is complete."""
        if self.rows == 0:
            self.discard()
            raise ValueError(f"the probe loader yielded no samples; nothing was written to {self.path}")
        self._file.flush()
        self._file.close()
        self._file = None
        try:
            _atomic.commit(self._temporary, self.path)
        except BaseException:
            _atomic.discard(self._temporary)
            raise

    def discard(self):
        """Drops the temporary file; an existing file under the final name is left as it was."""
        if self._file is not None:
            try:
                self._file.close()
            except Exception:
                pass
            self._file = None
        _atomic.discard(self._temporary)

    @staticmethod
    def float_storage(dtype):
        text = str(dtype).replace("torch.", "")
        if text not in ("float16", "float32"):
            raise ValueError(f"dtype must be 'float16' or 'float32', got {dtype!r}")
        return text


def natural_run_name(path):
    """The run a dump belongs to: ``RUN`` for ``RUN/dumps/x.h5`` or ``RUN/probes/x.h5``, else the folder's name."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.basename(folder) in ("dumps", "probes"):
        folder = os.path.dirname(folder)
    return os.path.basename(folder)
