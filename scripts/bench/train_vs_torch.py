#!/usr/bin/env python3
"""Training step, Loupe vs PyTorch, side by side: alternates `loupe bench train` and ../shared/bench/train_step.py
per model (ResNet-18 @64/112/224, LittleConv @64/128; batch 32, 2 threads) for --rounds rounds, and prints the
median img/s of each and the median of the per-round ratios. Run with the peers' Python (PyTorch), from anywhere:

    ~/.venvs/peers/bin/python scripts/bench/train_vs_torch.py [--rounds 3] [--loupe .build/release/loupe] [--json FILE]

BENCH_SMOKE=1 is passed to the peer (no waiting for a quiet machine). The CPU is printed first.
"""
import argparse, json, os, re, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("SHARED_BENCH", os.path.abspath(os.path.join(ROOT, "..", "shared", "bench")))
SIZES = {"resnet18": [64, 112, 224], "littleconv": [64, 128]}


def cpu_name():
    with open("/proc/cpuinfo") as f:
        return next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")


def loupe(binary, model):
    configs = ",".join(f"{model}@{s}" for s in SIZES[model])
    out = subprocess.run([binary, "bench", "train", "--configs", configs, "--train-only", "--repeats", "3", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return {(r["model"], r["size"]): r["trainImagesPerSecond"] for r in json.loads(out)}


def torch_peer(model):
    env = dict(os.environ, BENCH_SMOKE=os.environ.get("BENCH_SMOKE", "1"), BENCH_OUT=os.environ.get("BENCH_OUT", "/tmp/bench-out"))
    out = subprocess.run([sys.executable, "train_step.py", "--models", model, "--repeats", "3"], cwd=SHARED, env=env,
                         capture_output=True, text=True, check=True).stdout
    return {(m, int(s)): float(v) for m, s, v in re.findall(r"done (\w+) (\d+): train ([\d.]+) img/s", out)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    ap.add_argument("--models", nargs="+", default=["resnet18", "littleconv"])
    ap.add_argument("--json", help="write the runs and medians here")
    args = ap.parse_args()
    print("CPU:", cpu_name(), "| OPENBLAS_CORETYPE:", os.environ.get("OPENBLAS_CORETYPE", "(unset)"), flush=True)
    runs = {"loupe": [], "torch": []}
    for r in range(args.rounds):
        for model in args.models:
            runs["loupe"].append(loupe(args.loupe, model))
            runs["torch"].append(torch_peer(model))
            print(f"  round {r + 1} {model}: loupe {runs['loupe'][-1]}, torch {runs['torch'][-1]}", flush=True)
    rows = []
    for model in args.models:
        for size in SIZES[model]:
            key = (model, size)
            l = [x[key] for x in runs["loupe"] if key in x]
            t = [x[key] for x in runs["torch"] if key in x]
            ratios = [a / b for a, b in zip(l, t)]
            rows.append({"config": f"{model}@{size}", "loupe_img_s": statistics.median(l), "torch_img_s": statistics.median(t),
                         "ratio_median": statistics.median(ratios), "ratios": ratios})
    print(f"\n{'config':16} {'Loupe img/s':>12} {'PyTorch img/s':>14} {'Loupe/PyTorch':>14}  per round")
    for row in rows:
        print(f"{row['config']:16} {row['loupe_img_s']:12.1f} {row['torch_img_s']:14.1f} {row['ratio_median']:14.2f}  "
              + " ".join(f"{x:.2f}" for x in row["ratios"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu_name(), "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
