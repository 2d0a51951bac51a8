#!/usr/bin/env python3
"""Reference values from scikit-learn for the Swift numerical core (Sources/Analyzers/Math).

Generates small random inputs with a fixed seed, computes scikit-learn's (or, where scikit-learn has no such
function, numpy's) values, and writes inputs and values to Tests/AnalyzersTests/Fixtures/sklearn_metrics.json,
which the Swift tests (MathReferenceTests.swift) read, so CI needs no Python.

Inputs are float32 (what the Swift API takes), stored row-major as base64 of little-endian float32 bytes;
integer labels as JSON lists; scikit-learn gets the same values cast to float64, so the
references are the exact float64 answers for those inputs.

k-NN accuracy: Loupe's rule is leave-one-out majority vote, ties -> the label of the nearest neighbour among
the tied labels. Case "knn_binary" (2 classes, k odd: no vote ties possible) is scikit-learn's
KNeighborsClassifier scored with LeaveOneOut; case "knn_multiclass" (5 classes, k = 10, ties occur) applies
the stated rule in numpy to scikit-learn's NearestNeighbors neighbour lists, and also records scikit-learn's
own leave-one-out score (ties -> smallest label) for information.

usage: ~/.venvs/peers/bin/python scripts/reference/sklearn_metrics.py [OUT.json]
"""
import base64
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.model_selection import LeaveOneOut, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

SEED = 20251129
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "Tests", "AnalyzersTests", "Fixtures", "sklearn_metrics.json")


def f32(a):
    """float32 values, row-major, as base64 of their little-endian bytes (exact and compact)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def blobs(rng, n, d, k, sep):
    centres = rng.normal(0, sep, size=(k, d))
    y = rng.integers(0, k, size=n)
    x = (centres[y] + rng.standard_normal((n, d))).astype(np.float32)
    return x, y


def purity(a, b):
    cm = contingency_matrix(a, b)
    return float(np.sum(np.amax(cm, axis=0)) / np.sum(cm))


def knn_nearest_first(x64, y, k):
    idx = NearestNeighbors(n_neighbors=k).fit(x64).kneighbors(return_distance=False)
    correct = 0
    for i in range(len(y)):
        labs = [int(y[j]) for j in idx[i]]
        counts = {lab: labs.count(lab) for lab in labs}
        top = max(counts.values())
        pred = next(lab for lab in labs if counts[lab] == top)  # nearest among the tied labels
        correct += pred == y[i]
    return correct / len(y)


def linear_cka(x, y):
    x = x - x.mean(0)
    y = y - y.mean(0)
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    rng = np.random.default_rng(SEED)
    fx = {"generator": "scripts/reference/sklearn_metrics.py", "seed": SEED,
          "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}}

    # Label-agreement scores: a noisy copy of 6 classes as 8 clusters, and edge cases.
    a = rng.integers(0, 6, size=300)
    b = np.where(rng.random(300) < 0.7, a + 10 * (rng.random(300) < 0.2), rng.integers(0, 8, size=300))
    cases = [("noisy", a, b), ("identical_relabelled", a, (a * 7 + 3) % 11), ("one_cluster", a, np.zeros(300, int)),
             ("both_one_cluster", np.zeros(50, int), np.full(50, 4)), ("independent", rng.integers(0, 4, 400),
                                                                        rng.integers(0, 5, 400))]
    fx["labels"] = [{"name": nm, "a": [int(v) for v in u], "b": [int(v) for v in v_],
                     "purity": purity(u, v_), "nmi": float(normalized_mutual_info_score(u, v_)),
                     "ari": float(adjusted_rand_score(u, v_))} for nm, u, v_ in cases]

    # Silhouette: 4 blobs in 5-D with some labels flipped, plus a singleton cluster; and a 40-D case.
    x, y = blobs(rng, 160, 5, 4, 3.0)
    y = np.where(rng.random(160) < 0.1, rng.integers(0, 4, 160), y)
    y[7] = 9  # singleton cluster: its silhouette is 0
    x2, y2 = blobs(rng, 80, 24, 3, 0.6)
    fx["silhouette"] = [{"name": nm, "n": len(yy), "d": xx.shape[1], "x": f32(xx), "labels": [int(v) for v in yy],
                         "value": float(silhouette_score(xx.astype(np.float64), yy))}
                        for nm, xx, yy in [("blobs5d", x, y), ("wide24d", x2, y2)]]

    # Trustworthiness of a noisy 2-D projection of 12-D data.
    xh, _ = blobs(rng, 120, 12, 3, 2.0)
    low = (xh[:, :2] + 0.8 * rng.standard_normal((120, 2))).astype(np.float32)
    fx["trustworthiness"] = {"n": 120, "dHigh": 12, "dLow": 2, "high": f32(xh), "low": f32(low),
                             "values": [{"k": k, "value": float(trustworthiness(xh.astype(np.float64),
                                                                                low.astype(np.float64), n_neighbors=k))}
                                        for k in (5, 12)]}

    # k-NN accuracy.
    xb, yb = blobs(rng, 150, 4, 2, 1.0)
    xm, ym = blobs(rng, 150, 3, 5, 1.2)
    loo_b = cross_val_score(KNeighborsClassifier(5), xb.astype(np.float64), yb, cv=LeaveOneOut()).mean()
    loo_m = cross_val_score(KNeighborsClassifier(10), xm.astype(np.float64), ym, cv=LeaveOneOut()).mean()
    fx["knn"] = [
        {"name": "knn_binary", "n": 150, "d": 4, "k": 5, "x": f32(xb), "labels": [int(v) for v in yb],
         "value": float(loo_b), "rule": "sklearn KNeighborsClassifier(5) + LeaveOneOut (no vote ties possible)"},
        {"name": "knn_multiclass", "n": 150, "d": 3, "k": 10, "x": f32(xm), "labels": [int(v) for v in ym],
         "value": float(knn_nearest_first(xm.astype(np.float64), ym, 10)),
         "sklearn_loo_smallest_label_ties": float(loo_m),
         "rule": "majority of sklearn NearestNeighbors(10) lists, ties -> nearest neighbour's label"},
    ]

    # PCA: decaying spectrum, n > d and n < d.
    def spectrum(n, d):
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        s = np.exp(-np.arange(d) / 6.0) + 0.05
        return ((rng.standard_normal((n, d)) * s) @ q + rng.normal(0, 2, size=d)).astype(np.float32)

    fx["pca"] = []
    for nm, (n, d, k) in [("tall", (150, 24, 8)), ("wide", (30, 60, 6))]:
        xp = spectrum(n, d)
        p = PCA(n_components=k, svd_solver="full").fit(xp.astype(np.float64))
        fx["pca"].append({"name": nm, "n": n, "d": d, "k": k, "x": f32(xp),
                          "explained_variance": p.explained_variance_.tolist(),
                          "explained_variance_ratio": p.explained_variance_ratio_.tolist(),
                          "singular_values": p.singular_values_.tolist(),
                          "components": p.components_.ravel().tolist(),
                          "scores_first_rows": p.transform(xp.astype(np.float64))[:5].ravel().tolist()})

    # Linear CKA (numpy; Kornblith et al. 2019 eq. 5).
    xc = rng.standard_normal((80, 12)).astype(np.float32)
    yc = (xc[:, :6] @ rng.standard_normal((6, 9)) + 0.7 * rng.standard_normal((80, 9))).astype(np.float32)
    fx["cka"] = {"n": 80, "dx": 12, "dy": 9, "x": f32(xc), "y": f32(yc),
                 "value": linear_cka(xc.astype(np.float64), yc.astype(np.float64))}

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(fx, f, separators=(",", ":"))
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
