"""Renders Seg's `seg bench` results next to the peers' (`peers.py --modes count`)
as the table of docs/benchmarks.md.

    python3 bench/compare.py bench/results/peers-10M-count.json \
        bench/results/seg-q-t1.json bench/results/seg-q-t2.json \
        bench/results/seg-q12-t1.json bench/results/seg-q12-t2.json
"""
import json
import sys

peers = json.load(open(sys.argv[1]))
seg = {}  # (query, threads) -> (rows/s, members)
for path in sys.argv[2:]:
    run = json.load(open(path))
    for t in run["timings"]:
        if t["engine"] != "jit":
            continue
        query = t["target"].upper() if t["target"] != "program" else None
        if query is None:
            if all(s.startswith("q12_") for s in [run.get("rules", "")]) or "q12" in path:
                query = "Q12"
            else:
                continue
        seg[(query, run["threads"])] = (t["rows_per_second"], t["members"])

best = {}
floor = {}
for r in peers["results"]:
    key = (r["query"], r["threads"])
    if r["engine"] == "floor":
        floor[key] = r["rows_per_s"]
        continue
    if r["mode"] not in ("count", "countseq"):
        continue
    if key not in best or r["rows_per_s"] > best[key][0]:
        name = r["engine"] + (" (seq)" if r["mode"] == "countseq" else "")
        best[key] = (r["rows_per_s"], name)


def m(x):
    return f"{x / 1e6:,.1f}" if x < 1e8 else f"{x / 1e6:,.0f}"


print("| query | threads | Seg JIT M rows/s | fastest peer M rows/s | Seg ÷ fastest peer | floor M rows/s | Seg ÷ floor |")
print("|---|---|---|---|---|---|---|")
for q in [f"Q{i:02d}" for i in range(1, 13)]:
    for t in (1, 2):
        if (q, t) not in seg or (q, t) not in best:
            continue
        s, _ = seg[(q, t)]
        b, name = best[(q, t)]
        f = floor.get((q, t))
        print(
            f"| {q} | {t} | {m(s)} | {m(b)} {name} | {s / b:.2f}× | "
            f"{m(f) if f else '-'} | {s / f:.2f}× |" if f else f"| {q} | {t} | {m(s)} | {m(b)} {name} | {s / b:.2f}× | - | - |"
        )
