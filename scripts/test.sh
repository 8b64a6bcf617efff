#!/usr/bin/env bash
# The test command: everything the tests need, then every test.
#
# The cross-check against DuckDB (an independent SQL engine) needs Python's
# duckdb package; it is installed here from PyPI when missing, and the test is
# then required to run rather than allowed to skip.
#
# The generated SQL is executed by tests/sql/engines.py on DuckDB, PostgreSQL
# (Debian's server, started on a Unix socket in a temp dir) and DataFusion. The
# server is installed with apt-get when missing and we are root, psycopg and
# datafusion with pip, and those tests are then required to run too.
#
# `seg report`'s page is rendered in Debian's headless `chromium`
# (crates/seg-cli/tests/report.rs): installed with apt-get when missing and we
# are root, and the browser test is then required to run rather than skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import duckdb" 2>/dev/null; then
  echo "installing duckdb for the cross-check (pip)"
  python3 -m pip install --quiet --disable-pip-version-check duckdb
fi
export SEG_REQUIRE_CROSSCHECK=1

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing postgresql for the SQL engine tests (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "postgresql server binaries missing; run as root or: sudo apt-get install postgresql" >&2
  fi
fi
if ! python3 -c "import psycopg" 2>/dev/null; then
  echo "installing psycopg for the SQL engine tests (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "psycopg[binary]"
fi
if ! python3 -c "import datafusion" 2>/dev/null; then
  echo "installing datafusion 55 (the Rust side's major) for the SQL engine tests (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "datafusion==55.*"
fi
export SEG_REQUIRE_SQL_ENGINES=1

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing chromium for the report's browser test (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium missing; run as root or: sudo apt-get install chromium" >&2
  fi
fi
export SEG_REQUIRE_BROWSER=1

cargo test --workspace --locked "$@"
