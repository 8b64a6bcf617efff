"""The Python package's call overhead: `program.sizes(table)` from Python
against the same work done by the library in Rust, on the same profiles held
in memory in the same batches, in one sitting (docs/benchmarks.md, "Python
call overhead").

The Rust side is `crates/seg/examples/in_memory.rs` (build it with
`cargo build --release -p seg --features jit,formats --example in_memory`);
the Python side is the installed `seg` package (a release wheel:
`cd python && maturin build --release`). Both sides read the Parquet file into
batches of `--batch-rows` rows (the Rust side keeps the columns the rules read;
the Python side hands over the whole table, which the package projects),
prepare the query once, and
time bind + compile + run per pass. Rounds alternate between the two sides so
that both see the same machine; the figure is the ratio of medians. The
sizes of the two sides are checked to be equal.

    python3 python/bench/overhead.py --data profiles-10M.parquet \
        --rules bench/queries.seg --root . --as-of 2026-11-24T00:00:00Z \
        --baseline target/release/examples/in_memory --select q01 --select all
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings

import pyarrow as pa
import pyarrow.parquet as pq

import seg


def load(path, batch_rows):
    file = pq.ParquetFile(path)
    return pa.Table.from_batches(list(file.iter_batches(batch_size=batch_rows)), schema=file.schema_arrow)


def rust_passes(args, segments, passes):
    command = [
        args.baseline,
        args.rules,
        args.data,
        "--as-of",
        args.as_of,
        "--batch-rows",
        str(args.batch_rows),
        "--threads",
        str(args.threads),
        "--passes",
        str(passes),
    ]
    if args.root:
        command += ["--root", args.root]
    if segments:
        command += ["--segments", ",".join(segments)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--root")
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--baseline", required=True, help="the in_memory example binary")
    parser.add_argument("--select", action="append", default=[], help="segments, comma-separated, or 'all'")
    parser.add_argument("--batch-rows", type=int, default=65_536)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--passes", type=int, default=3, help="passes per round at least")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per round and side at least")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    # The benchmark's rules have warnings (W0301 and others) that are not its subject.
    warnings.simplefilter("ignore", seg.SegWarning)

    started = time.perf_counter()
    table = load(args.data, args.batch_rows)
    print(
        f"{table.num_rows:,} rows, {table.num_columns} columns, {len(table.to_batches())} batches, "
        f"{table.nbytes / 2**30:.2f} GiB in memory (loaded in {time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    results = []
    for selection in args.select or ["all"]:
        segments = [] if selection == "all" else selection.split(",")
        program = seg.compile(
            args.rules, root=args.root, as_of=args.as_of, segments=segments or None
        )
        python_seconds, rust_seconds = [], []
        for _ in range(args.rounds):
            # Passes until the round has lasted --seconds (at least --passes),
            # then as many passes on the Rust side.
            passes, round_started = 0, time.perf_counter()
            while passes < args.passes or time.perf_counter() - round_started < args.seconds:
                began = time.perf_counter()
                sizes = program.sizes(table, threads=args.threads)
                python_seconds.append(time.perf_counter() - began)
                passes += 1
            rust = rust_passes(args, segments, passes)
            rust_seconds += [p["seconds"] for p in rust]
            assert list(sizes.segments.values()) == rust[-1]["members"], "the two sides disagree"
            assert sizes.engine == rust[-1]["engine"] == "jit"
        python_median = statistics.median(python_seconds)
        rust_median = statistics.median(rust_seconds)
        result = {
            "selection": selection,
            "segments": len(program.segments),
            "rows": table.num_rows,
            "threads": args.threads,
            "rust_median_s": rust_median,
            "python_median_s": python_median,
            "passes": len(python_seconds),
            "rust_min_s": min(rust_seconds),
            "python_min_s": min(python_seconds),
            "overhead": python_median / rust_median - 1,
        }
        results.append(result)
        print(
            f"{selection:>8} ({result['segments']} segments): Rust {rust_median * 1e3:8.1f} ms, "
            f"Python {python_median * 1e3:8.1f} ms, overhead {result['overhead'] * 100:+.2f} % "
            f"(min {min(rust_seconds) * 1e3:.1f} / {min(python_seconds) * 1e3:.1f} ms)"
        )
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"seg": seg.__version__, "results": results}, out, indent=2)


if __name__ == "__main__":
    main()
