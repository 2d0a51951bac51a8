#!/usr/bin/env python3
"""Peak memory of a loupe_torch dump against the probe-set size: ResNet-18 at 224 px, layers 1-4.

    python3 python/scripts/stream_memory.py --images 2048 --out /tmp/stream.h5
    python3 python/scripts/stream_memory.py --images 256 --out /tmp/stream.h5

Images are generated batch by batch (seeded uint8 noise), so the loader holds one batch; what the
dump's size and the process's peak resident memory are printed as JSON. A writer that kept the probe
set in memory would need at least the file's size (float16) in memory.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
import torchvision  # noqa: E402

import loupe_torch  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", default="float16")
    parser.add_argument("--out", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the dump (default: delete it after measuring)")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

    def loader():
        g = torch.Generator().manual_seed(1)
        for start in range(0, args.images, args.batch_size):
            n = min(args.batch_size, args.images - start)
            yield torch.randint(0, 256, (n, 3, args.size, args.size), dtype=torch.uint8, generator=g), torch.arange(n) % 10

    start = time.time()
    loupe_torch.Probe(model, normalization=(mean, std)).dump(loader(), args.out, dtype=args.dtype, progress=True)
    seconds = time.time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = os.path.getsize(args.out) / 2**20
    if not args.keep:
        os.remove(args.out)
    print(json.dumps({"images": args.images, "size": args.size, "dtype": args.dtype, "peak_rss_mib": round(peak),
                      "file_mib": round(size), "seconds": round(seconds, 1),
                      "torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": cpu_name()}))


if __name__ == "__main__":
    main()
