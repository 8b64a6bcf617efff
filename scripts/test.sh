#!/usr/bin/env bash
# The test command: everything the tests need, then every test.
#
# The cross-check against DuckDB (an independent SQL engine) needs Python's
# duckdb package; it is installed here from PyPI when missing, and the test is
# then required to run rather than allowed to skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import duckdb" 2>/dev/null; then
  echo "installing duckdb for the cross-check (pip)"
  python3 -m pip install --quiet --disable-pip-version-check duckdb
fi
export SEG_REQUIRE_CROSSCHECK=1

cargo test --workspace --locked "$@"
