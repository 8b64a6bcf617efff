#!/usr/bin/env python3
"""Times `seg run` end to end from Parquet, the counterpart of `peers.py --modes parquet`.

    python3 bench/seg_parquet.py SEG DATA.parquet [--threads 1,2] [--repeat 5] [--warmup 1]
                                 [--targets Q01,...,Q12,EX107] [--out seg-parquet.json]

Each target is one process per run: `seg run RULES --data DATA --segments ...
--threads T --as-of 2026-11-24T00:00:00Z --summary json` (no `--out`: members are
counted, nothing is written), timed from spawn to exit with the page cache warm
(`--warmup` untimed runs first), median of `--repeat` runs. Q01-Q11 are one segment
of bench/queries.seg each, Q12 its 50 segments q12_s01..q12_s50 in one run, EX107
bench/examples.seg (all 107 segments of examples/ and its two priority groups).

The process time includes what peers.py's in-process parquet mode does not: process
start and exit, reading and checking the rules, optimizing and JIT-compiling them,
printing the summary. The summary's own `elapsed_seconds` (rules read to last batch
counted) is kept as `internal_s` for comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

AS_OF = "2026-11-24T00:00:00Z"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def target_args(target: str) -> list[str]:
    queries = os.path.join(ROOT, "bench", "queries.seg")
    if target == "EX107":
        return [os.path.join(ROOT, "bench", "examples.seg")]
    if target == "Q12":
        return [queries, "--segments", ",".join(f"q12_s{i:02d}" for i in range(1, 51))]
    return [queries, "--segments", target.lower()]


def run_once(seg, data, target, threads):
    cmd = [seg, "run", *target_args(target), "--root", ROOT, "--data", data, "--as-of", AS_OF,
           "--threads", str(threads), "--summary", "json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return wall, json.loads(proc.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seg")
    ap.add_argument("data")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--targets", default=",".join([f"Q{i:02d}" for i in range(1, 13)] + ["EX107"]))
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    records = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for target in args.targets.split(","):
            for _ in range(args.warmup):
                run_once(args.seg, args.data, target, threads)
            runs, internal = [], []
            for _ in range(args.repeat):
                wall, summary = run_once(args.seg, args.data, target, threads)
                runs.append(wall)
                internal.append(summary["elapsed_seconds"])
            rows = summary["profiles"]
            med = statistics.median(runs)
            rec = {
                "engine": "seg", "mode": "parquet", "query": target, "threads": threads,
                "runs_s": runs, "median_s": med, "rows_per_s": rows / med,
                "internal_s": internal, "internal_median_s": statistics.median(internal),
                "rows": rows, "counts": [s["members"] for s in summary["segments"]],
                "segments": {s["name"]: s["members"] for s in summary["segments"]},
            }
            records.append(rec)
            print(f"  seg        t={threads} parquet  {target:<5} median {med * 1e3:9.2f} ms"
                  f" (internal {rec['internal_median_s'] * 1e3:.2f} ms)", file=sys.stderr, flush=True)
    doc = {"kind": "seg-parquet", "data": args.data, "as_of": AS_OF, "repeat": args.repeat,
           "warmup": args.warmup, "results": records}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
