#!/usr/bin/env python3
"""Renders one sitting of `bench/compare.sh` as tables with ratios and a PASS/MISS
verdict per target.

    python3 bench/compare.py bench/results/1000000-20261201T1700Z/
    python3 bench/compare.py FILE.json ... [--baseline bench/results/baseline-examples.json]
                                           [--markdown-out report.md]

Inputs (a directory is read as all its *.json files; each file is recognized by its
content, so the older form `compare.py peers.json seg-q-t1.json ...` still works):

* `peers.py` output (modes count and parquet, the floor),
* `seg bench --format json` output: per-segment timings (Q01-Q11), a program of
  the q12_* segments (Q12) or of bench/examples.seg (EX107),
* `bench/seg_parquet.py` output (`seg run` timed as a process from Parquet),
* `bench/examples_sql.py time` output (DuckDB/DataFusion on the 107 segments).

Targets (issue "One command that reproduces the comparison"):

* T1  Q01-Q11, 1 thread, in memory: Seg >= 3x the fastest peer, or >= 0.8x the floor.
* T2  Q12 (50 segments, one pass), 1 thread: Seg >= 10x the fastest peer.
* T3  every query, in memory: Seg at 2 threads >= 1.8x Seg at 1 thread.
* T4  from Parquet, Q01-Q12, 1 and 2 threads: Seg >= 1.5x the fastest peer.
* T5  the 107 segments of examples/ in one program, 1 thread: Seg >= 10x today's rate
      (bench/results/baseline-examples.json) and >= 3x the fastest peer on the same 107.
* T6  JIT compile of the 107-segment program < 50 ms.

Exit status: 0 when every count agrees (verdicts may MISS), 1 on a count mismatch,
2 on unusable input.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

QUERIES = [f"Q{i:02d}" for i in range(1, 13)]
EX = "EX107"
HERE = os.path.dirname(os.path.abspath(__file__))


def load_inputs(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.json")))
        else:
            files.append(p)
    data = {"peers": [], "seg_bench": [], "seg_parquet": [], "peers_examples": [], "sitting": []}
    for f in files:
        with open(f) as fh:
            try:
                doc = json.load(fh)
            except json.JSONDecodeError as exc:
                sys.exit(f"compare.py: {f}: not JSON ({exc})")
        kind = doc.get("kind")
        if kind == "sitting":
            data["sitting"].append(doc)
            continue
        if kind == "baseline-examples":
            continue
        if kind == "seg-parquet":
            data["seg_parquet"].append(doc)
        elif kind == "peers-examples":
            data["peers_examples"].append(doc)
        elif "agreement" in doc and "results" in doc:
            data["peers"].append(doc)
        elif "timings" in doc:
            data["seg_bench"].append(doc)
        # anything else (the baseline, reports) is ignored here
    return data


def seg_in_memory(runs):
    """(query, threads) -> {rate, members, compile_s, rows}; from `seg bench` JSON."""
    out = {}
    for run in runs:
        jit = [t for t in run["timings"] if t["engine"] == "jit"]
        per_segment = [t for t in jit if t["target"] != "program"]
        examples = os.path.basename(run.get("rules", "")).startswith("examples")
        for t in jit:
            if t["target"] == "program":
                if per_segment:
                    continue  # the per-segment timings are the queries
                query = EX if examples else "Q12"
            else:
                query = t["target"].upper()
                if not query.startswith("Q") or query.startswith("Q12_"):
                    continue
            out[(query, run["threads"])] = {
                "rate": t["rows_per_second"], "members": t["members"],
                "compile_s": t.get("compile_seconds"), "rows": run["rows"],
            }
    return out


def best_peers(peers_docs, modes):
    """(query, threads) -> (rows/s, engine label) of the fastest peer in `modes`."""
    best, floor, counts, rows = {}, {}, {}, None
    for doc in peers_docs:
        rows = doc["meta"]["rows"]
        for q, a in doc["agreement"].items():
            counts[q] = a["counts"]
        for r in doc["results"]:
            key = (r["query"], r["threads"])
            if r["engine"] == "floor":
                floor[key] = r["rows_per_s"]
                continue
            if r["mode"] not in modes:
                continue
            if key not in best or r["rows_per_s"] > best[key][0]:
                best[key] = (r["rows_per_s"], r["engine"] + (" (seq)" if r["mode"] == "countseq" else ""))
    return best, floor, counts, rows


def m(x):
    if x is None:
        return "-"
    x /= 1e6
    return f"{x:,.2f}" if x < 10 else f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "-"


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "MISS")


class Report:
    def __init__(self):
        self.lines = []
        self.verdicts = []  # (target, row, ok)
        self.mismatches = []

    def out(self, line=""):
        self.lines.append(line)

    def table(self, head, rows):
        self.out("| " + " | ".join(head) + " |")
        self.out("|" + "---|" * len(head))
        for r in rows:
            self.out("| " + " | ".join(str(c) for c in r) + " |")
        self.out()

    def judge(self, target, row, ok):
        self.verdicts.append((target, row, ok))
        return verdict(ok)


def render(data, baseline, rep: Report):
    seg = seg_in_memory(data["seg_bench"])
    best, floor, counts, rows = best_peers(data["peers"], ("count", "countseq"))
    pbest, _, _, _ = best_peers(data["peers"], ("parquet",))
    threads = sorted({t for (_, t) in seg} | {t for (_, t) in best})
    rows = rows or next((v["rows"] for v in seg.values()), None)
    rep.out(f"## Seg against its peers, {rows:,} rows" if rows else "## Seg against its peers")
    rep.out()
    for sit in data["sitting"]:
        rep.out(f"Sitting {sit.get('started', '?')}, commit {str(sit.get('commit', '?'))[:10]}"
                f"{' (crates/ modified)' if sit.get('dirty') else ''}, REPEAT={sit.get('repeat', '?')},"
                f" load average at start {sit.get('loadavg', '?')}.")
        try:
            load = float(str(sit.get("loadavg", "0")).split()[0])
        except ValueError:
            load = 0.0
        if load >= 0.5 * (os.cpu_count() or 1):
            rep.out("**The machine was busy when this sitting started: timings, and the ratios between"
                    " thread counts most of all, are not reliable.**")
        rep.out()

    # --- counts agree ------------------------------------------------------------
    for (q, t), s in sorted(seg.items()):
        if q in counts and s["members"] != sum(counts[q]):
            rep.mismatches.append(f"{q} t{t} in memory: Seg {s['members']:,}, peers {sum(counts[q]):,}")
    for doc in data["seg_parquet"]:
        for r in doc["results"]:
            if r["query"] in counts and sum(r["counts"]) != sum(counts[r["query"]]):
                rep.mismatches.append(f"{r['query']} t{r['threads']} parquet: Seg {sum(r['counts']):,}, "
                                      f"peers {sum(counts[r['query']]):,}")

    # --- T1/T2: in memory ----------------------------------------------------------
    if seg and best:
        rep.out("### In memory (`seg bench` vs `peers.py --modes count`), million rows/s, median")
        rep.out()
        body = []
        for q in QUERIES:
            for t in threads:
                if (q, t) not in seg or (q, t) not in best:
                    continue
                s = seg[(q, t)]["rate"]
                b, name = best[(q, t)]
                f = floor.get((q, t))
                v = "-"
                if t == 1 and q != "Q12":
                    v = rep.judge("T1 ≥3× fastest peer or ≥0.8× floor (1 thread)", q,
                                  s >= 3 * b or (f is not None and s >= 0.8 * f))
                elif t == 1 and q == "Q12":
                    v = rep.judge("T2 Q12 ≥10× fastest peer (1 thread)", q, s >= 10 * b)
                body.append([q, t, m(s), f"{m(b)} {name}", ratio(s, b), m(f), ratio(s, f), v])
        rep.table(["query", "threads", "Seg", "fastest peer", "Seg ÷ peer", "floor", "Seg ÷ floor", "verdict"], body)

    # --- T3: threads -----------------------------------------------------------------
    if (len(threads) > 1) and seg:
        t_hi = max(threads)
        rep.out(f"### Scaling: Seg at {t_hi} threads ÷ Seg at 1 thread (in memory)")
        rep.out()
        body = []
        for q in QUERIES + [EX]:
            if (q, 1) in seg and (q, t_hi) in seg:
                sc = seg[(q, t_hi)]["rate"] / seg[(q, 1)]["rate"]
                v = rep.judge("T3 2 threads ≥1.8× 1 thread", q, sc >= 1.8) if q != EX else "-"
                body.append([q, m(seg[(q, 1)]["rate"]), m(seg[(q, t_hi)]["rate"]), f"{sc:.2f}×", v])
        rep.table(["query", "Seg t1", f"Seg t{t_hi}", "speed-up", "verdict"], body)

    # --- T4: from Parquet --------------------------------------------------------------
    segp = {}
    for doc in data["seg_parquet"]:
        for r in doc["results"]:
            segp[(r["query"], r["threads"])] = r
    if segp and pbest:
        rep.out("### From Parquet (`seg run` timed as a process vs `peers.py --modes parquet` in process),"
                " million rows/s, median")
        rep.out()
        body = []
        for q in QUERIES:
            for t in threads:
                if (q, t) not in segp or (q, t) not in pbest:
                    continue
                r = segp[(q, t)]
                b, name = pbest[(q, t)]
                internal = r["rows"] / r["internal_median_s"] if r.get("internal_median_s") else None
                v = rep.judge("T4 Parquet ≥1.5× fastest peer", f"{q} t{t}", r["rows_per_s"] >= 1.5 * b)
                body.append([q, t, m(r["rows_per_s"]), m(internal), f"{m(b)} {name}", ratio(r["rows_per_s"], b), v])
        rep.table(["query", "threads", "Seg (process)", "Seg (internal)", "fastest peer", "Seg ÷ peer", "verdict"], body)

    # --- T5/T6: the examples' 107 segments -------------------------------------------------
    pex = {}
    ex_counts = None
    for doc in data["peers_examples"]:
        for r in doc["results"]:
            key = r["threads"]
            if key not in pex or r["rows_per_s"] > pex[key][0]:
                pex[key] = (r["rows_per_s"], r["engine"])
        ex_counts = doc.get("counts") or ex_counts
        if not doc.get("agree", True):
            rep.mismatches.append("EX107: the SQL engines disagree with each other")
    for (q, t), r in segp.items():
        if q == EX and ex_counts:
            bad = [n for n, c in ex_counts.items() if r["segments"].get(n) != c]
            if bad:
                rep.mismatches.append(f"EX107 t{t}: {len(bad)} segment counts differ from DuckDB: {', '.join(bad[:8])}")
    for (q, t), s in seg.items():
        if q == EX and ex_counts and s["members"] != sum(ex_counts.values()):
            rep.mismatches.append(f"EX107 t{t} in memory: Seg {s['members']:,} members, SQL {sum(ex_counts.values()):,}")
    ex_threads = sorted({t for (q, t) in seg if q == EX} | set(pex))
    if ex_threads:
        base = baseline["timings"][0]["rows_per_second"] if baseline else None
        base_label = (f"{m(base)} (commit {baseline.get('commit', '?')[:7]}, "
                      f"{baseline.get('rows', 0):,} rows)") if baseline else "-"
        rep.out("### The 107 segments of examples/ in one program (`bench/examples.seg`), million rows/s")
        rep.out()
        body = []
        for t in ex_threads:
            s = seg.get((EX, t))
            rate = s["rate"] if s else None
            b = pex.get(t)
            v1 = v2 = "-"
            if t == 1 and rate:
                if base:
                    v1 = rep.judge("T5a examples ≥10× today's rate (1 thread)", EX, rate >= 10 * base)
                if b:
                    v2 = rep.judge("T5b examples ≥3× fastest peer (1 thread)", EX, rate >= 3 * b[0])
            body.append([t, m(rate), base_label if t == 1 else "-", ratio(rate, base) if t == 1 else "-", v1,
                         f"{m(b[0])} {b[1]}" if b else "-", ratio(rate, b[0] if b else None), v2])
        rep.table(["threads", "Seg", "today's rate", "Seg ÷ today", "≥10×", "fastest peer", "Seg ÷ peer", "≥3×"], body)
        comp = [s["compile_s"] for (q, t), s in sorted(seg.items()) if q == EX and s["compile_s"] is not None]
        if comp:
            c = min(comp)
            rep.out(f"JIT compile of the 107-segment program: {c * 1e3:.1f} ms "
                    f"(target < 50 ms): {rep.judge('T6 compile of 107 segments < 50 ms', EX, c < 0.05)}")
            rep.out()
        if ex_counts:
            rep.out(f"Counts: the SQL translation and Seg agree on "
                    f"{sum(1 for n, c in ex_counts.items() if all(r['segments'].get(n) == c for (q, _), r in segp.items() if q == EX))}"
                    f" of {len(ex_counts)} segments" + ("" if any(q == EX for (q, _) in segp) else " (no `seg run` counts)"))
            rep.out()

    # --- verdicts ---------------------------------------------------------------------------
    if rep.verdicts:
        rep.out("### Verdicts")
        rep.out()
        body, seen = [], []
        for target, _, _ in rep.verdicts:
            if target not in seen:
                seen.append(target)
        for target in seen:
            rows_ = [(r, ok) for tg, r, ok in rep.verdicts if tg == target]
            missed = [r for r, ok in rows_ if not ok]
            body.append([target, f"{len(rows_) - len(missed)} of {len(rows_)}",
                         "PASS" if not missed else "MISS: " + ", ".join(missed)])
        rep.table(["target", "rows passing", "verdict"], body)
    if rep.mismatches:
        rep.out("!!! COUNT MISMATCH")
        for line in rep.mismatches:
            rep.out(f"!!!   {line}")
    else:
        rep.out("All of Seg's counts equal the peers' counts.")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="a results directory or JSON files")
    ap.add_argument("--baseline", default=os.path.join(HERE, "results", "baseline-examples.json"),
                    help="today's rate of the 107 (default bench/results/baseline-examples.json)")
    ap.add_argument("--markdown-out", help="also write the tables to this file")
    args = ap.parse_args(argv)
    data = load_inputs(args.inputs)
    if not any(data.values()):
        print("compare.py: no peers.py, seg bench or seg_parquet.py JSON in the inputs", file=sys.stderr)
        return 2
    baseline = None
    if args.baseline and os.path.exists(args.baseline):
        with open(args.baseline) as f:
            baseline = json.load(f)
    rep = Report()
    render(data, baseline, rep)
    text = "\n".join(rep.lines)
    print(text)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(text + "\n")
    return 1 if rep.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
