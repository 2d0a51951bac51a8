#!/usr/bin/env python3
"""Side-by-side benchmark of Loupe's numerical core against its peers, alternating per size.

t-SNE: Loupe's Barnes-Hut TSNE.fit vs ../shared/bench/tsne.py (openTSNE BH and FFT, scikit-learn BH) on the
10-cluster 512-D Gaussian mixture (make_gmm_h5.py; N = 2,000 / 5,000 / 10,000; perplexity 30, 1000 iterations,
2 threads). PCA: Loupe's PCA.fit (exact and randomized, 50 components) vs ../shared/bench/pca.py on the same
20000x512 (and 70000x784) matrices, written to HDF5 with pca.py's own generator.

KL caveat: openTSNE 1.0.4 adds an absolute EPSILON (2.2e-16) to each row's unnormalised Gaussian sum while
calibrating perplexity; on this input the nearest-neighbour squared distances are ~1000, the row sums are far below
EPSILON, and its binary search settles on flatter rows (median effective perplexity ~42 instead of 30). Its KL is
then computed for a different P. So besides the peers' own numbers this script runs openTSNE BH once more with the
correctly calibrated P (exact 90-NN, the same bisection as Loupe's, precomputed affinities) -- "otsne_bh_sameP" --
and reports the effective perplexity of openTSNE's own calibration ("otsne_perplexity_median").

The Swift side runs as the opt-in release test `analyzerBenchRunner` (Tests/AnalyzersTests/MathBenchRunner.swift)
built in the scratch path .build-rel; it is built only once the 1-minute load average is below 1.5
(or after --max-wait seconds). Run with the peers' Python:

    ~/.venvs/peers/bin/python scripts/bench/analyzers_bench.py [--sizes 2000 5000 10000] [--repeats 3]
        [--skip-peers] [--skip-pca] [--out DIR]

Outputs (default .bench-out/analyzers under the worktree, git-ignored via .build-*/ … see --out):
data/ (inputs), peer-*/ (peer JSON), swift-*.json, summary.json, and a table on stdout.
BENCH_SMOKE=1 is passed to the peers (no waiting for a quiet machine) and implies --repeats 1.

Large inputs (--datasets fashion gmm512, with --sizes 70000): Fashion-MNIST pixels (train + test from
/usr/share/datasets/fashion-mnist, 70,000 x 784 in [0, 1]; a smaller N is a prefix) and the 512-D GMM
(make_gmm_h5.py at that N), written as minimal dumps under data/. For each, in one sitting:
  * kNN (k = 90): `loupe bench knn` -- Loupe's approximate search, its time, and its recall against exact
    neighbours (computed once by Loupe's exact search, timed, cached in data/<name>.knn90.exact.*.npy);
    the searched neighbours are saved for the same-P run below.
  * --repeats alternating pairs, each in its own process (wall time of the fit, whole-process peak RSS via wait4):
    Loupe's whole t-SNE (`loupe bench tsne --neighbors auto --method M`: kNN + P + optimisation) and openTSNE's
    fastest method (FFT, its own Annoy kNN and calibration; otsne_run.py).
  * openTSNE FFT once more on Loupe's own P (same neighbours, same bisection): "otsne_fft_sameP", whose KL is the
    one to compare with Loupe's, and the median effective perplexity openTSNE's calibration gives on those rows.
  * 10-NN accuracy of the classes in each 2-D map (same tie rule for both).
Loupe's repulsion is --loupe-method (bh now; fft once the tsne-fft branch is merged). Only the large part:

    ~/.venvs/peers/bin/python scripts/bench/analyzers_bench.py --datasets fashion gmm512 --sizes 70000 \
        --skip-pca --scratch-path .build-rel [--loupe-method fft] [--repeats 2]
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
SCRATCH = [os.path.join(ROOT, ".build-rel")]  # set from --scratch-path


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


def cpu_snapshot():
    """(wall s, machine-wide busy CPU s, CPU s of finished children) -- as benchutil's, for child processes."""
    import resource
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:9]))
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK"), ru.ru_utime + ru.ru_stime


def swift_bench(out_json, tsne_files=(), pca_files=(), repeats=1, args=None):
    """Runs the Swift benchmark; returns its JSON plus the average CPU other processes used meanwhile."""
    a = cpu_snapshot()
    env = dict(os.environ, LOUPE_BENCH_OUT=out_json, LOUPE_BENCH_TSNE=",".join(tsne_files),
               LOUPE_BENCH_PCA=",".join(pca_files), LOUPE_BENCH_REPEATS=str(repeats), LOUPE_QUIET="1")
    run(["swift", "test", "-c", "release", "--scratch-path", SCRATCH[0],
         "--skip-build", "--filter", "analyzerBenchRunner"], env=env, cwd=ROOT)
    b = cpu_snapshot()
    with open(out_json) as f:
        result = json.load(f)
    result["foreign"] = max(0.0, ((b[1] - a[1]) - (b[2] - a[2])) / (b[0] - a[0]))
    return result


def calibrated_p(x, perplexity=30.0):
    """Symmetric sparse P exactly as Loupe builds it (exact 3·perplexity NN, bisection on beta to
    |H - log perplexity| <= 1e-8 nats with distances shifted by the row minimum)."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.neighbors import NearestNeighbors
    n, k = len(x), int(3 * perplexity)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    d2, idx = dist[:, 1:].astype(np.float64) ** 2, idx[:, 1:]
    target = np.log(perplexity)
    rows = []
    for dr in d2:
        dr = dr - dr.min()
        beta, lo, hi = 1.0, -np.inf, np.inf
        for _ in range(200):
            p = np.exp(-beta * dr)
            s = p.sum()
            p /= s
            h = np.log(s) + beta * (dr * p).sum()
            if abs(h - target) <= 1e-8:
                break
            if h > target:
                lo, beta = beta, (beta * 2 if hi == np.inf else (beta + hi) / 2)
            else:
                hi, beta = beta, (beta / 2 if lo == -np.inf else (beta + lo) / 2)
        rows.append(p)
    P = sp.csr_matrix((np.concatenate(rows), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    P = (P + P.T) / 2
    return P / P.sum(), dist[:, 1:]


def otsne_same_p(path, repeats):
    """openTSNE BH (tsne.py's settings) on Loupe's P; returns (median s of the optimisation, KL, perplexity)."""
    import h5py
    import numpy as np
    import openTSNE
    from openTSNE import _tsne
    from openTSNE.affinity import PrecomputedAffinities
    with h5py.File(path) as f:
        x = f["embedding"][...]
    P, dist = calibrated_p(x)
    cond = np.asarray(_tsne.compute_gaussian_perplexity(np.ascontiguousarray(dist, dtype=float), np.array([30.0])))
    perp = float(np.median(np.exp(-(cond * np.log(np.maximum(cond, 1e-300))).sum(1))))
    times, kls = [], []
    for _ in range(repeats):
        t = openTSNE.TSNE(n_components=2, perplexity=30, early_exaggeration_iter=250, n_iter=750,
                          negative_gradient_method="bh", initialization="pca", n_jobs=2, random_state=0)
        t0 = time.perf_counter()
        e = t.fit(x, affinities=PrecomputedAffinities(P))
        times.append(time.perf_counter() - t0)
        kls.append(float(e.kl_divergence))
    return statistics.median(times), statistics.median(kls), perp


FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def write_dump(path, x, y, classes):
    import h5py
    import numpy as np
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "loupe-dump"
        f.attrs["format_version"] = "1.0"
        f["embedding"] = x
        f["probe/labels"] = y.astype(np.int32)
        f["probe/ids"] = np.array([f"s{i}".encode() for i in range(len(y))])
        f["probe/classes"] = np.array([c.encode() for c in classes])


def fashion_dump(data, n):
    """Fashion-MNIST train + test pixels / 255 (float32), first n rows, as data/fashion_<n>.h5."""
    import gzip
    import numpy as np
    path = os.path.join(data, f"fashion_{n}.h5")
    if not os.path.exists(path):
        def read(name, offset):
            with gzip.open(os.path.join(FASHION, name)) as f:
                return np.frombuffer(f.read(), np.uint8, offset=offset)
        x = np.concatenate([read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784),
                            read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)]).astype(np.float32) / 255
        y = np.concatenate([read("train-labels-idx1-ubyte.gz", 8), read("t10k-labels-idx1-ubyte.gz", 8)])
        write_dump(path, np.ascontiguousarray(x[:n]), y[:n], FASHION_CLASSES)
    return path


def gmm_dump(data, n):
    path = os.path.join(data, f"gmm_{n}.h5")
    if not os.path.exists(path):
        run([PY, os.path.join(SHARED, "make_gmm_h5.py"), data, str(n)], cwd=SHARED)
    return path


def timed_process(cmd, env=None, cwd=None):
    """Runs cmd in its own process; returns (wall s, peak RSS MiB of that process and its children)."""
    print("+", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_maxrss / 1024


def large_benchmark(args, out, data, loupe):
    """The 70,000-point comparison (see the docstring): kNN recall and times, alternating t-SNE runs, same-P KL."""
    rows = []
    env = dict(os.environ, LOUPE_QUIET="1")
    for name in args.datasets:
        if name == "gmm":
            continue
        for n in args.sizes:
            path = fashion_dump(data, n) if name == "fashion" else gmm_dump(data, n)
            tag = f"{name}_{n}"
            exact_prefix = os.path.join(data, f"{tag}.knn90.exact")
            loupe_prefix = os.path.join(out, f"{tag}.knn90.loupe")
            # kNN: the search Loupe's t-SNE runs (same seed and threads), timed, and its recall against exact.
            knn_json = os.path.join(out, f"knn-{tag}.json")
            with open(knn_json, "w") as f:
                subprocess.run([loupe, "bench", "knn", path, "--k", "90", "--method", args.loupe_neighbors,
                                "--exact-cache", exact_prefix, "--write", loupe_prefix, "--json"],
                               check=True, stdout=f, env=env)
            with open(knn_json) as f:
                knn = json.load(f)
            exact_info = exact_prefix + ".json"
            if knn.get("exactSeconds") is not None:
                with open(exact_info, "w") as f:
                    json.dump({"exactSeconds": knn["exactSeconds"], "cpu": cpu_model()}, f)
            if os.path.exists(exact_info):
                with open(exact_info) as f:
                    knn["exactSecondsCached"] = json.load(f)["exactSeconds"]
            loupe_runs, peer_runs = [], []
            for rep in range(args.repeats):
                order = ["loupe", "peer"] if rep % 2 == 0 else ["peer", "loupe"]
                for who in order:
                    print(f"load {os.getloadavg()[0]:.2f}", flush=True)
                    if who == "loupe":
                        j = os.path.join(out, f"tsne-{tag}-loupe-{rep}.json")
                        emb = os.path.join(out, f"tsne-{tag}-loupe-{rep}.npy")
                        cmd = [loupe, "bench", "tsne", path, "--neighbors", args.loupe_neighbors, "--json",
                               "--write-embedding", emb, "--iterations", str(args.iterations)]
                        if args.loupe_method != "bh":
                            cmd += ["--method", args.loupe_method]
                        with open(j, "w") as f:
                            print("+", " ".join(cmd), flush=True)
                            t0 = time.perf_counter()
                            proc = subprocess.Popen(cmd, stdout=f, env=env)
                            _, status, usage = os.wait4(proc.pid, 0)
                            wall = time.perf_counter() - t0
                        if os.waitstatus_to_exitcode(status) != 0:
                            raise RuntimeError(f"{cmd} failed")
                        with open(j) as f:
                            r = json.load(f)
                        r["process_s"], r["peak_rss_mib"] = wall, usage.ru_maxrss / 1024
                        with open(j, "w") as f:
                            json.dump(r, f, indent=1)
                        loupe_runs.append(r)
                    else:
                        j = os.path.join(out, f"tsne-{tag}-otsne_fft-{rep}.json")
                        wall, rss = timed_process([PY, os.path.join(HERE, "otsne_run.py"), path, "--method", "fft",
                                                   "--json", j, "--iterations", str(args.iterations)])
                        with open(j) as f:
                            r = json.load(f)
                        r["process_s"], r["peak_rss_mib"] = wall, rss
                        with open(j, "w") as f:
                            json.dump(r, f, indent=1)
                        peer_runs.append(r)
            j = os.path.join(out, f"tsne-{tag}-otsne_fft_sameP.json")
            wall, rss = timed_process([PY, os.path.join(HERE, "otsne_run.py"), path, "--method", "fft", "--neighbors",
                                       loupe_prefix, "--json", j, "--iterations", str(args.iterations)])
            with open(j) as f:
                same = json.load(f)
            same["process_s"], same["peak_rss_mib"] = wall, rss
            med = lambda rs, key: statistics.median(r[key] for r in rs)
            row = {"dataset": name, "N": n, "d": knn["d"], "cpu": cpu_model(),
                   "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
                   "knn": {"method": knn["report"]["method"], "seconds": knn["report"]["seconds"],
                           "clusters": knn["report"]["clusters"], "probes": knn["report"]["probes"],
                           "estimated_recall": knn["report"]["estimatedRecall"],
                           "searched_fraction": knn["report"]["searchedFraction"], "recall_vs_exact": knn.get("recall"),
                           "exact_seconds": knn.get("exactSeconds") or knn.get("exactSecondsCached")},
                   "loupe": {"method": args.loupe_method, "s": med(loupe_runs, "seconds"),
                             "affinity_s": med(loupe_runs, "affinitySeconds"), "process_s": med(loupe_runs, "process_s"),
                             "peak_rss_mib": max(r["peak_rss_mib"] for r in loupe_runs), "kl": med(loupe_runs, "kl"),
                             "knn10": loupe_runs[0].get("knn10Accuracy"), "all_s": [r["seconds"] for r in loupe_runs]},
                   "otsne_fft": {"s": med(peer_runs, "seconds"), "process_s": med(peer_runs, "process_s"),
                                 "peak_rss_mib": max(r["peak_rss_mib"] for r in peer_runs), "kl": med(peer_runs, "kl"),
                                 "knn10": peer_runs[0].get("knn10"), "all_s": [r["seconds"] for r in peer_runs]},
                   "otsne_fft_sameP": {"s": same["seconds"], "kl": same["kl"], "knn10": same.get("knn10"),
                                       "peak_rss_mib": rss, "perplexity_median_own_calibration": same["otsne_perplexity_median"]}}
            rows.append(row)
            print_large([row])
    return rows


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def print_large(rows):
    for r in rows:
        k, lo, pe, sp = r["knn"], r["loupe"], r["otsne_fft"], r["otsne_fft_sameP"]
        print(f"\n{r['dataset']} N={r['N']} d={r['d']} ({r['cpu']})")
        print(f"  kNN k=90: {k['method']} {k['seconds']:.2f} s ({k['clusters']} cells, {k['probes']} probes, "
              f"{100 * k['searched_fraction']:.1f} % of pairs), recall vs exact {k['recall_vs_exact']:.4f} "
              f"(estimated {k['estimated_recall']:.4f}); exact {k['exact_seconds'] or float('nan'):.2f} s")
        print(f"  Loupe ({lo['method']}): fit {lo['s']:.2f} s (kNN + P {lo['affinity_s']:.2f} s), process {lo['process_s']:.2f} s, "
              f"peak RSS {lo['peak_rss_mib']:.0f} MiB, KL {lo['kl']:.4f}, 10-NN acc {lo['knn10']:.4f}")
        print(f"  openTSNE FFT: fit {pe['s']:.2f} s, process {pe['process_s']:.2f} s, peak RSS {pe['peak_rss_mib']:.0f} MiB, "
              f"KL {pe['kl']:.4f} (its own P), 10-NN acc {pe['knn10']:.4f}")
        print(f"  openTSNE FFT on Loupe's P: optimisation {sp['s']:.2f} s, KL {sp['kl']:.4f}, 10-NN acc {sp['knn10']:.4f}; "
              f"openTSNE's calibration on these rows: median perplexity {sp['perplexity_median_own_calibration']:.1f}")
        print(f"  Loupe / openTSNE FFT: time {lo['s'] / pe['s']:.3f}, peak RSS {lo['peak_rss_mib'] / pe['peak_rss_mib']:.2f}; "
              f"KL vs same-P openTSNE {100 * (lo['kl'] / sp['kl'] - 1):+.2f} %")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000])
    ap.add_argument("--datasets", nargs="+", default=["gmm"], choices=["gmm", "fashion", "gmm512"],
                    help="gmm: the small-N GMM comparison (tsne.py's three peers); fashion, gmm512: the large-input "
                         "comparison against openTSNE FFT (use with --sizes 70000)")
    ap.add_argument("--loupe-method", default="bh", help="Loupe's t-SNE repulsion (bh; fft after the tsne-fft merge)")
    ap.add_argument("--loupe-neighbors", default="auto", choices=["auto", "approx", "exact"])
    ap.add_argument("--iterations", type=int, default=1000, help="large part only (the peers' tsne.py runs 1000)")
    ap.add_argument("--scratch-path", default=os.path.join(ROOT, ".build-rel"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--methods", nargs="+", default=["otsne_bh", "otsne_fft", "sklearn_bh"])
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-pca", action="store_true")
    ap.add_argument("--skip-tsne", action="store_true")
    ap.add_argument("--out", default=None, help="default SCRATCH/bench-analyzers")
    ap.add_argument("--max-wait", type=float, default=1800)
    args = ap.parse_args()
    if os.environ.get("BENCH_SMOKE"):
        args.repeats = 1
    args.scratch_path = os.path.abspath(args.scratch_path)
    SCRATCH[0] = args.scratch_path
    out = os.path.abspath(args.out or os.path.join(args.scratch_path, "bench-analyzers"))
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)

    small = "gmm" in args.datasets
    # Inputs: the GMM dumps and the PCA matrices, from the peers' own generators.
    missing = [n for n in args.sizes if not os.path.exists(os.path.join(data, f"gmm_{n}.h5"))] if small else []
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

    print(f"load before build: {wait_for_low_load(1.5, 0 if os.environ.get('BENCH_SMOKE') else args.max_wait):.2f}", flush=True)
    if small or pca_files:
        run(["swift", "build", "-c", "release", "--scratch-path", args.scratch_path, "--build-tests",
             "-Xswiftc", "-enable-testing"], cwd=ROOT)
    summary = {"tsne": [], "pca": [], "large": []}
    if any(d != "gmm" for d in args.datasets) and not args.skip_tsne:
        run(["swift", "build", "-c", "release", "--scratch-path", args.scratch_path, "--product", "loupe"], cwd=ROOT)
        loupe = os.path.join(args.scratch_path, "release", "loupe")
        summary["large"] = large_benchmark(args, out, data, loupe)
        save(out, summary)

    for n in ([] if args.skip_tsne or not small else args.sizes):
        gmm = os.path.join(data, f"gmm_{n}.h5")
        # Loupe runs before and after the peers (same sitting, alternating), the median over both is quoted.
        swr = swift_bench(os.path.join(out, f"swift-tsne-{n}-a.json"), tsne_files=[gmm], repeats=args.repeats)
        sw = swr["tsne"]
        peers = []
        if not args.skip_peers:
            peer_out = os.path.join(out, f"peer-tsne-{n}")
            env = dict(os.environ, BENCH_OUT=peer_out)
            run([PY, os.path.join(SHARED, "tsne.py"), "--sizes", str(n), "--repeats", str(args.repeats),
                 "--methods"] + args.methods, env=env, cwd=out)
            with open(os.path.join(peer_out, "results", "tsne.json")) as f:
                peers = json.load(f)["results"]
        same_p = None
        if not args.skip_peers:
            swr2 = swift_bench(os.path.join(out, f"swift-tsne-{n}-b.json"), tsne_files=[gmm], repeats=args.repeats)
            sw = sw + swr2["tsne"]
            swr["foreign"] = (swr["foreign"] + swr2["foreign"]) / 2
            same_p = otsne_same_p(gmm, 1)
        row = {"N": n, "loupe_s": statistics.median(r["seconds"] for r in sw),
               "loupe_kl": statistics.median(r["kl"] for r in sw), "loupe_knn10": sw[0]["knn10Accuracy"],
               "loupe_affinity_s": statistics.median(r["affinitySeconds"] for r in sw),
               "loupe_all_s": [r["seconds"] for r in sw], "loupe_foreign_load": swr["foreign"], "peers": {}}
        for p in peers:
            row["peers"][p["method"]] = {"s": p["time_s_median"], "kl": p["kl_median"], "knn10": p["knn10_acc_emb"],
                                         "clean": f"{p['time']['n_clean']}/{p['time']['n_all']}"}
        if same_p:
            row["peers"]["otsne_bh_sameP"] = {"s": same_p[0], "kl": same_p[1], "knn10": float("nan"),
                                              "note": "optimisation only, Loupe's P"}
            row["otsne_perplexity_median"] = same_p[2]
        summary["tsne"].append(row)
        save(out, summary)

    if pca_files:
        # Loupe before and after the peer script (alternating, same sitting).
        sw = swift_bench(os.path.join(out, "swift-pca-a.json"), pca_files=pca_files, repeats=max(3, args.repeats))["pca"]
        peer = []
        if not args.skip_peers:
            peer_out = os.path.join(out, "peer-pca")
            env = dict(os.environ, BENCH_OUT=peer_out)
            run([PY, os.path.join(SHARED, "pca.py"), "--repeats", str(max(3, args.repeats))], env=env, cwd=out)
            with open(os.path.join(peer_out, "results", "pca.json")) as f:
                peer = json.load(f)["results"]
            sw = sw + swift_bench(os.path.join(out, "swift-pca-b.json"), pca_files=pca_files,
                                  repeats=max(3, args.repeats))["pca"]
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
                       "max_abs_evr_diff_vs_sklearn_full": float(max(abs(a - b) for a, b in
                                                              zip(recs[0]["explainedVarianceRatio"], ref))),
                       "peers": {p["solver"]: p["time_s_median"] for p in peer if p["shape"] == shape}}
                summary["pca"].append(row)
        save(out, summary)
    print_tables(summary)


def save(out, summary):
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


def print_tables(summary):
    if summary.get("large"):
        print("\nLarge inputs (perplexity 30, 2 threads): Loupe's whole t-SNE vs openTSNE FFT")
        print_large(summary["large"])
    if summary["tsne"]:
        print("\nt-SNE (perplexity 30, 1000 iterations, 2 threads): wall s (median), final KL, 10-NN acc in 2-D")
        for r in summary["tsne"]:
            line = f"N={r['N']:>6}  Loupe {r['loupe_s']:7.2f} s  KL {r['loupe_kl']:.4f}  acc {r['loupe_knn10']:.4f}" \
                   f"  (kNN+P {r['loupe_affinity_s']:.2f} s; other processes used {r['loupe_foreign_load']:.2f} cores)"
            print(line)
            if "otsne_perplexity_median" in r:
                print(f"          (openTSNE's own calibration: median effective perplexity "
                      f"{r['otsne_perplexity_median']:.1f} instead of 30)")
            for m, p in r["peers"].items():
                print(f"          {m:<15}{p['s']:7.2f} s  KL {p['kl']:.4f}  acc {p['knn10']:.4f}  clean {p.get('clean', '-')}  "
                      f"Loupe/peer time {r['loupe_s'] / p['s']:.3f}  KL {100 * (r['loupe_kl'] / p['kl'] - 1):+.2f} %")
    if summary["pca"]:
        print("\nPCA (50 components): fit s (median)")
        for r in summary["pca"]:
            peers = "  ".join(f"{k} {v:.3f} s (ratio {r['loupe_s'] / v:.2f})" for k, v in r["peers"].items())
            print(f"{r['shape']:>10} Loupe {r['loupe_method']:<10} {r['loupe_s']:.3f} s  max |ΔEVR| vs sklearn full "
                  f"{r['max_abs_evr_diff_vs_sklearn_full']:.1e}   {peers}")


if __name__ == "__main__":
    main()
