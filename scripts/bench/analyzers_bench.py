#!/usr/bin/env python3
"""Side-by-side benchmark of Loupe's numerical core against its peers, alternating per size.

t-SNE: Loupe's Barnes-Hut TSNE.fit vs ../shared/bench/tsne.py (openTSNE BH and FFT, scikit-learn BH) on the
10-cluster 512-D Gaussian mixture (make_gmm_h5.py; N = 2,000 / 5,000 / 10,000; perplexity 30, 1000 iterations,
2 threads). PCA: Loupe's PCA.fit (exact and randomized, 50 components) vs ../shared/bench/pca.py on the same
20000x512 (and 70000x784) matrices, written to HDF5 with pca.py's own generator.

The Swift side runs as the opt-in release test `analyzerBenchRunner` (Tests/AnalyzersTests/MathBenchRunner.swift)
built in the scratch path .build-rel; it is built only once the 1-minute load average is below 1.5
(or after --max-wait seconds). Run with the peers' Python:

    ~/.venvs/peers/bin/python scripts/bench/analyzers_bench.py [--sizes 2000 5000 10000] [--repeats 3]
        [--skip-peers] [--skip-pca] [--out DIR]

Outputs (default .bench-out/analyzers under the worktree, git-ignored via .build-*/ … see --out):
data/ (inputs), peer-*/ (peer JSON), swift-*.json, summary.json, and a table on stdout.
BENCH_SMOKE=1 is passed to the peers (no waiting for a quiet machine) and implies --repeats 1.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("SHARED_BENCH", os.path.abspath(os.path.join(ROOT, "..", "shared", "bench")))
PY = sys.executable


def wait_for_low_load(limit, max_wait):
    t0 = time.time()
    while True:
        load = os.getloadavg()[0]
        if load < limit or time.time() - t0 > max_wait:
            return load
        print(f"  load {load:.2f} >= {limit}: waiting…", flush=True)
        time.sleep(20)


def run(cmd, env=None, cwd=None):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env, cwd=cwd)


def swift_bench(out_json, tsne_files=(), pca_files=(), repeats=1, args=None):
    env = dict(os.environ, LOUPE_BENCH_OUT=out_json, LOUPE_BENCH_TSNE=",".join(tsne_files),
               LOUPE_BENCH_PCA=",".join(pca_files), LOUPE_BENCH_REPEATS=str(repeats), LOUPE_QUIET="1")
    run(["swift", "test", "-c", "release", "--scratch-path", os.path.join(ROOT, ".build-rel"),
         "--skip-build", "--filter", "analyzerBenchRunner"], env=env, cwd=ROOT)
    with open(out_json) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--methods", nargs="+", default=["otsne_bh", "otsne_fft", "sklearn_bh"])
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-pca", action="store_true")
    ap.add_argument("--skip-tsne", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build-rel", "bench-analyzers"))
    ap.add_argument("--max-wait", type=float, default=1800)
    args = ap.parse_args()
    if os.environ.get("BENCH_SMOKE"):
        args.repeats = 1
    out = os.path.abspath(args.out)
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)

    # Inputs: the GMM dumps and the PCA matrices, from the peers' own generators.
    missing = [n for n in args.sizes if not os.path.exists(os.path.join(data, f"gmm_{n}.h5"))]
    if missing:
        run([PY, os.path.join(SHARED, "make_gmm_h5.py"), data] + [str(n) for n in missing], cwd=SHARED)
    pca_files = []
    if not args.skip_pca:
        sys.path.insert(0, SHARED)
        import h5py
        from pca import make
        for n, d in [(20000, 512), (70000, 784)]:
            path = os.path.join(data, f"pca_{n}x{d}.h5")
            if not os.path.exists(path):
                with h5py.File(path, "w") as f:
                    f["embedding"] = make(n, d)
            pca_files.append(path)

    print(f"load before build: {wait_for_low_load(1.5, args.max_wait):.2f}", flush=True)
    run(["swift", "build", "-c", "release", "--scratch-path", os.path.join(ROOT, ".build-rel"), "--build-tests",
         "-Xswiftc", "-enable-testing"], cwd=ROOT)

    summary = {"tsne": [], "pca": []}
    for n in ([] if args.skip_tsne else args.sizes):
        gmm = os.path.join(data, f"gmm_{n}.h5")
        sw = swift_bench(os.path.join(out, f"swift-tsne-{n}.json"), tsne_files=[gmm], repeats=args.repeats)["tsne"]
        peers = []
        if not args.skip_peers:
            peer_out = os.path.join(out, f"peer-tsne-{n}")
            env = dict(os.environ, BENCH_OUT=peer_out)
            run([PY, os.path.join(SHARED, "tsne.py"), "--sizes", str(n), "--repeats", str(args.repeats),
                 "--methods"] + args.methods, env=env, cwd=out)
            with open(os.path.join(peer_out, "results", "tsne.json")) as f:
                peers = json.load(f)["results"]
        row = {"N": n, "loupe_s": statistics.median(r["seconds"] for r in sw),
               "loupe_kl": statistics.median(r["kl"] for r in sw), "loupe_knn10": sw[0]["knn10Accuracy"],
               "loupe_affinity_s": statistics.median(r["affinitySeconds"] for r in sw),
               "loupe_all_s": [r["seconds"] for r in sw], "peers": {}}
        for p in peers:
            row["peers"][p["method"]] = {"s": p["time_s_median"], "kl": p["kl_median"], "knn10": p["knn10_acc_emb"]}
        summary["tsne"].append(row)
        save(out, summary)

    if pca_files:
        sw = swift_bench(os.path.join(out, "swift-pca.json"), pca_files=pca_files, repeats=max(3, args.repeats))["pca"]
        peer = []
        if not args.skip_peers:
            peer_out = os.path.join(out, "peer-pca")
            env = dict(os.environ, BENCH_OUT=peer_out)
            run([PY, os.path.join(SHARED, "pca.py"), "--repeats", str(max(3, args.repeats))], env=env, cwd=out)
            with open(os.path.join(peer_out, "results", "pca.json")) as f:
                peer = json.load(f)["results"]
        # scikit-learn's explained-variance ratios for the comparison of values (float32 input, as the peer).
        from sklearn.decomposition import PCA
        import h5py
        for path in pca_files:
            with h5py.File(path) as f:
                x = f["embedding"][...]
            ref = PCA(n_components=50, svd_solver="full").fit(x).explained_variance_ratio_
            shape = f"{x.shape[0]}x{x.shape[1]}"
            for method in ("exact", "randomized"):
                recs = [r for r in sw if r["file"] == path and r["method"] == method]
                row = {"shape": shape, "loupe_method": method, "loupe_s": statistics.median(r["seconds"] for r in recs),
                       "max_abs_evr_diff_vs_sklearn_full": max(abs(a - b) for a, b in
                                                              zip(recs[0]["explainedVarianceRatio"], ref)),
                       "peers": {p["solver"]: p["time_s_median"] for p in peer if p["shape"] == shape}}
                summary["pca"].append(row)
        save(out, summary)
    print_tables(summary)


def save(out, summary):
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


def print_tables(summary):
    if summary["tsne"]:
        print("\nt-SNE (perplexity 30, 1000 iterations, 2 threads): wall s (median), final KL, 10-NN acc in 2-D")
        for r in summary["tsne"]:
            line = f"N={r['N']:>6}  Loupe {r['loupe_s']:7.2f} s  KL {r['loupe_kl']:.4f}  acc {r['loupe_knn10']:.4f}" \
                   f"  (kNN+P {r['loupe_affinity_s']:.2f} s)"
            print(line)
            for m, p in r["peers"].items():
                print(f"          {m:<11}{p['s']:7.2f} s  KL {p['kl']:.4f}  acc {p['knn10']:.4f}   "
                      f"Loupe/peer time {r['loupe_s'] / p['s']:.3f}  KL {100 * (r['loupe_kl'] / p['kl'] - 1):+.2f} %")
    if summary["pca"]:
        print("\nPCA (50 components): fit s (median)")
        for r in summary["pca"]:
            peers = "  ".join(f"{k} {v:.3f} s (ratio {r['loupe_s'] / v:.2f})" for k, v in r["peers"].items())
            print(f"{r['shape']:>10} Loupe {r['loupe_method']:<10} {r['loupe_s']:.3f} s  max |ΔEVR| vs sklearn full "
                  f"{r['max_abs_evr_diff_vs_sklearn_full']:.1e}   {peers}")


if __name__ == "__main__":
    main()
