#!/usr/bin/env bash
# One command that reproduces Seg's comparison with its peers:
#
#     bench/compare.sh [ROWS]          # default 10000000; `bench/compare.sh 1000000` is quick
#
# Builds the release CLI, generates bench/data/profiles-ROWS.parquet unless present, then in
# one sitting runs the peers (peers.py: in-memory count and from Parquet, the C floor), Seg in
# memory (`seg bench`), Seg from Parquet (`seg run` timed as a process, bench/seg_parquet.py)
# and the 107 segments of examples/ on Seg, DuckDB and DataFusion (bench/examples_sql.py),
# at every thread count. All JSON goes to bench/results/ROWS-<UTC time>/; bench/compare.py
# prints the tables and a PASS/MISS verdict per target
# (docs/benchmarks.md, "Reproducing the comparison").
#
# Knobs (environment):
#   REPEAT=5          timed runs per measurement (medians); 1 for a smoke run
#   THREADS="1 2"     thread counts
#   PEERS=1           0: reuse the newest bench/results/ROWS-*/peers.json instead of running peers.py
#                     (and the peers-examples.json beside it, when there is one)
#   PEERS_JSON=FILE   reuse this peers.py JSON (implies PEERS=0)
#   EXAMPLES=1        0: skip the 107-segment workload
#   EX_ENGINES=duckdb,datafusion   SQL engines for the 107 segments
#   EX_REPEAT=REPEAT  timed runs of the 107-segment SQL (a pass takes ~10 s per million rows)
#   SHARED=DIR        the peers' harness (default ../shared/bench beside this checkout or
#                     beside the main worktree)
#   OUT=DIR           results directory (default bench/results/ROWS-<UTC time>)
set -euo pipefail

ROWS=${1:-10000000}
case $ROWS in '' | *[!0-9]*) echo "usage: bench/compare.sh [ROWS]" >&2; exit 2 ;; esac
REPEAT=${REPEAT:-5}
THREADS=${THREADS:-"1 2"}
EXAMPLES=${EXAMPLES:-1}
EX_ENGINES=${EX_ENGINES:-duckdb,datafusion}
EX_REPEAT=${EX_REPEAT:-$REPEAT}
AS_OF=2026-11-24T00:00:00Z

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 2; }

# --- prerequisites -------------------------------------------------------------------------
if ! python3 -c 'import pyarrow, duckdb, polars, datafusion, numpy' 2>/dev/null; then
  die "missing Python packages; install them with: pip install pyarrow duckdb polars datafusion numpy"
fi
if [[ -z ${SHARED:-} ]]; then
  main_wt=$(git worktree list --porcelain 2>/dev/null | sed -n '1s/^worktree //p')
  for d in "$ROOT/../shared/bench" "${main_wt:-$ROOT}/../shared/bench"; do
    if [[ -f $d/peers.py ]]; then SHARED=$(cd "$d" && pwd); break; fi
  done
fi
[[ -n ${SHARED:-} && -f $SHARED/peers.py ]] || die "the peers' harness (peers.py) is not in ../shared/bench; set SHARED=DIR"
command -v cargo >/dev/null || die "cargo is not on PATH"

T_LIST=$(echo $THREADS | tr ' ' ',')
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-bench/results/$ROWS-$STAMP}
mkdir -p "$OUT" bench/data
DATA=bench/data/profiles-$ROWS.parquet
SEG=target/release/seg
started=$(date +%s)

say "building the release CLI"
cargo build --release -p seg-cli

if [[ ! -f $DATA ]]; then
  say "generating $DATA ($ROWS rows, seed 42)"
  python3 "$SHARED/gen_profiles.py" --rows "$ROWS" --seed 42 --out "$DATA.partial.parquet"
  [[ -f $DATA.partial.parquet.manifest.json ]] && mv "$DATA.partial.parquet.manifest.json" "$DATA.manifest.json"
  mv "$DATA.partial.parquet" "$DATA"
fi
DATA_ABS=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")

{
  echo "{\"rows\": $ROWS, \"started\": \"$STAMP\", \"commit\": \"$(git rev-parse HEAD)\","
  echo " \"dirty\": $( [[ -z $(git status --porcelain -- crates) ]] && echo false || echo true ),"
  echo " \"repeat\": $REPEAT, \"threads\": \"$THREADS\", \"seg\": \"$($SEG --version)\","
  echo " \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"kind\": \"sitting\"}"
} > "$OUT/sitting.json"

# --- the peers --------------------------------------------------------------------------------
if [[ -n ${PEERS_JSON:-} ]]; then PEERS=0; fi
if [[ ${PEERS:-1} == 0 ]]; then
  if [[ -z ${PEERS_JSON:-} ]]; then
    PEERS_JSON=$(ls -t bench/results/"$ROWS"-*/peers.json 2>/dev/null | grep -v "^$OUT/" | head -1 || true)
  fi
  [[ -n $PEERS_JSON && -f $PEERS_JSON ]] || die "PEERS=0 but no peers JSON for $ROWS rows (set PEERS_JSON=FILE)"
  say "reusing the peers' numbers from $PEERS_JSON"
  cp "$PEERS_JSON" "$OUT/peers.json"
else
  say "peers: in-memory count and from Parquet, threads $T_LIST, repeat $REPEAT"
  # peers.py exits 1 on a count mismatch between peers; the renderer reports it, so go on.
  python3 "$SHARED/peers.py" "$DATA_ABS" --modes count,parquet --threads "$T_LIST" \
    --repeat "$REPEAT" --out "$OUT/peers.json" > "$OUT/peers.log" 2>&1 ||
    echo "compare.sh: peers.py exited $? (see $OUT/peers.log)" >&2
  [[ -f $OUT/peers.json ]] || die "peers.py wrote no results (see $OUT/peers.log)"
fi

# --- Seg in memory ------------------------------------------------------------------------------
Q=$(seq -f "q%02g" 1 11 | paste -sd,)
Q12=$(seq -f "q12_s%02g" 1 50 | paste -sd,)
bench() { # RULES SEGMENTS THREADS OUTFILE [extra]
  local rules=$1 segs=$2 t=$3 out=$4
  shift 4
  $SEG bench "$rules" --root . --data "$DATA" --as-of $AS_OF ${segs:+--segments "$segs"} --engines jit \
    --threads "$t" --iterations "$REPEAT" --format json "$@" > "$out"
}
for t in $THREADS; do
  say "Seg in memory, $t thread(s): Q01-Q11, Q12$([[ $EXAMPLES == 1 ]] && echo ', the 107 examples')"
  bench bench/queries.seg "$Q" "$t" "$OUT/seg-q-t$t.json" --per-segment
  bench bench/queries.seg "$Q12" "$t" "$OUT/seg-q12-t$t.json"
  if [[ $EXAMPLES == 1 ]]; then bench bench/examples.seg "" "$t" "$OUT/seg-ex-t$t.json"; fi
done

# --- Seg from Parquet -------------------------------------------------------------------------
TARGETS=$(seq -f "Q%02g" 1 12 | paste -sd,)
if [[ $EXAMPLES == 1 ]]; then TARGETS=$TARGETS,EX107; fi
say "Seg from Parquet (seg run as a process), threads $T_LIST"
python3 bench/seg_parquet.py "$SEG" "$DATA" --threads "$T_LIST" --repeat "$REPEAT" \
  --targets "$TARGETS" --out "$OUT/seg-parquet.json"

# --- the 107 segments on the SQL engines ------------------------------------------------------------
EX_REUSE=$( [[ ${PEERS:-1} == 0 ]] && echo "$(dirname "$PEERS_JSON")/peers-examples.json" || true)
if [[ $EXAMPLES == 1 && -n $EX_REUSE && -f $EX_REUSE ]]; then
  say "reusing the 107 segments' SQL timings from $EX_REUSE"
  cp "$EX_REUSE" "$OUT/peers-examples.json"
elif [[ $EXAMPLES == 1 ]]; then
  say "the 107 segments of examples/ on $EX_ENGINES, threads $T_LIST, repeat $EX_REPEAT"
  python3 bench/examples_sql.py time "$DATA" --engines "$EX_ENGINES" --threads "$T_LIST" \
    --repeat "$EX_REPEAT" --out "$OUT/peers-examples.json" ||
    echo "compare.sh: examples_sql.py exited $?" >&2
fi

say "done in $(( $(date +%s) - started )) s; results in $OUT"
python3 bench/compare.py "$OUT" --markdown-out "$OUT/report.md"
