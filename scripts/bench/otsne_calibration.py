#!/usr/bin/env python3
"""Why openTSNE's own KL on the benchmark mixture is not comparable with Loupe's or scikit-learn's.

openTSNE 1.0.4 calibrates each row's Gaussian bandwidth with the kernel sqrt(tau)*exp(-d^2*tau/2) and adds
numpy's float64 epsilon (2.2e-16) to the row sum. On high-dimensional data the k nearest squared distances are
concentrated far from zero (on the 512-D mixture: ~900 to ~1000), so the bandwidth that reaches perplexity 30
makes every kernel value ~1e-16, the epsilon becomes a large part of the sum, the entropy it computes is wrong,
and the search stops at rows that are much flatter than asked. The effect depends on the ratio of the distance
spread to the nearest distance, not on the scale of X, so rescaling the input does not remove it.

This script shows it twice: on synthetic rows (90 neighbours, squared distances uniform in [b, 1.1*b]) and on the
benchmark file's conditional P. For each it prints the effective perplexity exp(H) of openTSNE's calibrated rows.

    ~/.venvs/peers/bin/python scripts/bench/otsne_calibration.py [GMM.h5]
"""
import sys
import numpy as np
from openTSNE import _tsne, affinity


def effective_perplexity(rows):
    rows = rows / rows.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(rows > 0, rows * np.log(rows), 0).sum(axis=1)
    return np.exp(h)


def main():
    rng = np.random.default_rng(0)
    print("synthetic rows, 90 neighbours, asked perplexity 30:")
    for base in [1e-3, 1.0, 900.0]:
        d2 = np.sort(base * (1 + rng.uniform(0, 0.1, size=(200, 90))), axis=1)
        p = np.asarray(_tsne.compute_gaussian_perplexity(np.sqrt(d2), np.array([30.0]), 1e-8, 200, 1))
        print(f"  d^2 in [{base:g}, {1.1 * base:g}]: median effective perplexity {np.median(effective_perplexity(p)):.1f}")
    # Spread from zero: the kernel values stay far above epsilon and the calibration is right.
    d2 = np.sort(rng.uniform(0, 1, size=(200, 90)), axis=1)
    p = np.asarray(_tsne.compute_gaussian_perplexity(np.sqrt(d2), np.array([30.0]), 1e-8, 200, 1))
    print(f"  d^2 in [0, 1]: median effective perplexity {np.median(effective_perplexity(p)):.1f}")
    if len(sys.argv) > 1:
        import h5py
        x = h5py.File(sys.argv[1], "r")["embedding"][...].astype(np.float64)
        a = affinity.PerplexityBasedNN(x, perplexity=30, method="exact", n_jobs=2, random_state=0, symmetrize=False)
        print(f"{sys.argv[1]}: median effective perplexity of openTSNE's rows "
              f"{np.median(effective_perplexity(a.P.toarray())):.1f} (asked 30)")


if __name__ == "__main__":
    main()
