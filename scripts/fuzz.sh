#!/usr/bin/env bash
# Runs Seg's fuzz targets (fuzz/fuzz_targets) for a bounded time each and
# prints one line per target: executions, corpus size, crashes.
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   scripts/fuzz.sh parse 300       # one target, 5 minutes
#   SEG_FUZZ_SECONDS=30 scripts/fuzz.sh   # every target, 30 s each (CI)
#
# cargo-fuzz is installed from crates.io when missing. The machine has only a
# stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its coverage flags to
# it. Targets run without a sanitizer (Seg's only unsafe code is the JIT's, and
# the machine code it emits is not instrumented anyway); libFuzzer still stops
# on any panic, abort, timeout or runaway allocation. A crash leaves its input
# in fuzz/artifacts/<target>/ and fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(parse check fmt_roundtrip read_parquet read_ipc read_csv read_jsonl jit_differential)
seconds=${SEG_FUZZ_SECONDS:-60}
if [ $# -ge 1 ]; then targets=("$1"); fi
if [ $# -ge 2 ]; then seconds=$2; fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (cargo install)"
  cargo install --quiet --locked cargo-fuzz --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1

# cargo fuzz build takes one target or all: build them all once.
cargo fuzz build --sanitizer none

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
printf '%-18s %10s %8s %8s %s\n' target executions corpus seconds result
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  seeds=()
  case $target in
    parse|check|fmt_roundtrip) seeds=(examples tests/fixtures) ;;
    jit_differential) seeds=() ;;
    *) seeds=("fuzz/seeds/$target") ;;
  esac
  log="$work/$target.log"
  if cargo fuzz run --sanitizer none "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see fuzz/artifacts/$target/)"
    status=1
    grep -E "panicked|ERROR|SUMMARY|out-of-memory|timeout" "$log" | head -n 5 || true
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  size=$(find "$corpus" -type f | wc -l)
  printf '%-18s %10s %8s %8s %s\n' "$target" "$runs" "$size" "$seconds" "$result"
done
exit $status
