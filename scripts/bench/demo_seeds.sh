#!/usr/bin/env bash
# Runs the default demo on several seeds and prints whether findings (a)–(d) hold on each.
# The pretrained backbone does not depend on the seed, so it is trained once and then reused from the cache.
#   usage: scripts/bench/demo_seeds.sh [SEEDS...]      (default: 0 1 2 3 4 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product loupe >/dev/null
seeds=("$@"); [ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2 3 4 5)
out=bench-out/demo-seeds; mkdir -p "$out"
for s in "${seeds[@]}"; do
  echo "seed $s …" >&2
  LOUPE_QUIET=1 /usr/bin/time -f "%e s, %M KB" -o "$out/time-$s.txt" \
    .build/release/loupe demo --seed "$s" --out "$out/report-$s" --runs "$out/runs-$s" >/dev/null
done
python3 - "$out" "${seeds[@]}" <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2:]
print("| seed | (a) class | (b) colour | (c) attention | (d) saturation | kNN class scratch / pretrained | kNN colour scratch / pretrained | time, peak RSS |")
print("|---|---|---|---|---|---|---|---|")
held = {k: 0 for k in "abcd"}
for s in seeds:
    f = json.load(open(f"{out}/report-{s}/summary.json"))["findings"]
    for k in "abcd": held[k] += f[k]["holds"]
    a, b = f["a"]["numbers"], f["b"]["numbers"]
    t = open(f"{out}/time-{s}.txt").read().strip()
    print(f"| {s} | {'✅' if f['a']['holds'] else '❌'} | {'✅' if f['b']['holds'] else '❌'} | {'✅' if f['c']['holds'] else '❌'} | {'✅' if f['d']['holds'] else '❌'} "
          f"| {a['knn_class_scratch']:.3f} / {a['knn_class_pretrained']:.3f} | {b['knn_colour_scratch']:.3f} / {b['knn_colour_pretrained']:.3f} | {t} |")
print("held on " + ", ".join(f"({k}) {held[k]}/{len(seeds)}" for k in "abcd"))
PY
