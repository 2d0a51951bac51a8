#!/usr/bin/env python3
"""One openTSNE fit in its own process (so its wall time and peak RSS are its own), for analyzers_bench.py.

Reads /embedding (and /probe/labels) of a minimal dump; settings as ../shared/bench/tsne.py (perplexity 30,
250 + 750 iterations, PCA init, n_jobs=2, random_state 0). Two modes:

  own:   openTSNE.TSNE(...).fit(x): its own neighbours (Annoy for large N) and its own perplexity calibration.
  sameP: --neighbors PREFIX (PREFIX.indices.npy int32 n x k, PREFIX.distances.npy float32 squared distances, as
         `loupe bench knn --write` saves Loupe's): P built exactly as Loupe builds it (bisection on beta to
         |H - log perplexity| <= 1e-8 nats, distances shifted by the row minimum, (P + P^T)/2 normalised), then
         openTSNE's optimiser on it via PrecomputedAffinities -- the KL of openTSNE's optimiser on Loupe's P.
         Also reports the median effective perplexity openTSNE's own calibration gives on those distances.

Writes JSON: seconds (fit), kl, knn10 (leave-one-out 10-NN accuracy in the map, nearest-first ties as Loupe),
and the embedding as .npy if --embedding is given.
usage: otsne_run.py DATA.h5 --method fft|bh [--neighbors PREFIX] --json OUT.json [--embedding OUT.npy]
"""
import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np


def calibrated_p(idx, d2, perplexity=30.0):
    """Loupe's P from its neighbours, vectorised over rows (same bisection and stopping rule as Loupe's)."""
    import scipy.sparse as sp
    n, k = idx.shape
    d = d2.astype(np.float64)
    d = d - d.min(axis=1, keepdims=True)
    target = np.log(perplexity)
    beta = np.ones(n)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    active = np.ones(n, bool)
    p = np.empty_like(d)
    for _ in range(200):
        a = np.nonzero(active)[0]
        if len(a) == 0:
            break
        e = np.exp(-beta[a, None] * d[a])
        s = e.sum(1)
        e /= s[:, None]
        p[a] = e
        h = np.log(s) + beta[a] * (d[a] * e).sum(1)
        diff = h - target
        done = np.abs(diff) <= 1e-8
        up = (~done) & (diff > 0)
        down = (~done) & (diff <= 0)
        ia, ib = a[up], a[down]
        lo[ia] = beta[ia]
        beta[ia] = np.where(hi[ia] == np.inf, beta[ia] * 2, (beta[ia] + hi[ia]) / 2)
        hi[ib] = beta[ib]
        beta[ib] = np.where(lo[ib] == -np.inf, beta[ib] / 2, (beta[ib] + lo[ib]) / 2)
        active[a[done]] = False
    P = sp.csr_matrix((p.ravel(), idx.astype(np.int64).ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    P = (P + P.T) / 2
    return P / P.sum()


def knn_acc(z, y, k=10):
    """Leave-one-out k-NN accuracy, Loupe's tie rule (the nearest neighbour's label among tied top votes)."""
    from sklearn.neighbors import NearestNeighbors
    idx = NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(z, return_distance=False)[:, 1:]
    votes = y[idx]
    correct = 0
    for i in range(len(y)):
        counts = np.bincount(votes[i])
        top = counts.max()
        pred = next(v for v in votes[i] if counts[v] == top)
        correct += pred == y[i]
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--method", default="fft", choices=["fft", "bh"])
    ap.add_argument("--neighbors", help="path prefix of Loupe's neighbours (sameP mode)")
    ap.add_argument("--json", required=True)
    ap.add_argument("--embedding")
    ap.add_argument("--iterations", type=int, default=1000)
    args = ap.parse_args()
    import h5py
    import openTSNE
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=2)
    except ImportError:
        pass
    with h5py.File(args.data) as f:
        x = np.ascontiguousarray(f["embedding"][...])
        y = f["probe/labels"][...].astype(np.int64) if "probe/labels" in f else None
    out = {"data": args.data, "n": int(x.shape[0]), "d": int(x.shape[1]), "method": args.method,
           "mode": "sameP" if args.neighbors else "own", "openTSNE": openTSNE.__version__}
    early = min(250, args.iterations)
    t = openTSNE.TSNE(n_components=2, perplexity=30, early_exaggeration_iter=early, n_iter=args.iterations - early,
                      negative_gradient_method=args.method, initialization="pca", n_jobs=2, random_state=0)
    if args.neighbors:
        from openTSNE import _tsne
        from openTSNE.affinity import PrecomputedAffinities
        idx = np.load(args.neighbors + ".indices.npy")
        d2 = np.load(args.neighbors + ".distances.npy")
        t0 = time.perf_counter()
        P = calibrated_p(idx, d2)
        out["p_seconds"] = time.perf_counter() - t0
        dist = np.sqrt(np.maximum(d2.astype(np.float64), 0))
        cond = np.asarray(_tsne.compute_gaussian_perplexity(np.ascontiguousarray(dist), np.array([30.0])))
        out["otsne_perplexity_median"] = float(np.median(np.exp(-(cond * np.log(np.maximum(cond, 1e-300))).sum(1))))
        t0 = time.perf_counter()
        e = t.fit(x, affinities=PrecomputedAffinities(P))
        out["seconds"] = time.perf_counter() - t0
        out["note"] = "optimisation (and PCA init) only, on Loupe's P"
    else:
        t0 = time.perf_counter()
        e = t.fit(x)
        out["seconds"] = time.perf_counter() - t0
    out["kl"] = float(e.kl_divergence)
    z = np.asarray(e, dtype=np.float32)
    if y is not None:
        out["knn10"] = float(knn_acc(z, y))
    import resource
    out["peak_rss_mib_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.embedding:
        np.save(args.embedding, z)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
