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
# The Python package (python/) is built into a wheel by maturin after the Rust
# tests, installed into this Python with what its tests use (pip), and tested
# with pytest against the `seg` binary the Rust tests built.
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

# The VS Code extension (editors/vscode): its grammar tests run with the
# tokenizer VS Code uses, and it is packaged into a .vsix as a release would
# be. Node.js and npm come with the machine (Debian's are installed when
# missing and we are root).
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "installing nodejs and npm for the editor extension's tests (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
(
  cd editors/vscode
  npm ci --no-audit --no-fund --loglevel=error
  npm test
  rm -f seg-language.vsix
  npm run --silent package >/dev/null
  python3 - <<'PY'
import zipfile
names = set(zipfile.ZipFile("seg-language.vsix").namelist())
needed = {"extension/package.json", "extension/extension.js", "extension/language-configuration.json",
          "extension/syntaxes/seg.tmLanguage.json", "extension/node_modules/vscode-languageclient/package.json"}
missing = needed - names
assert not missing, f"seg-language.vsix lacks {sorted(missing)}"
assert not any(n.startswith("extension/test/") for n in names), "the .vsix holds the tests"
print(f"editors/vscode: seg-language.vsix packaged ({len(names)} files)")
PY
)
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

# The Python package (python/): a wheel built by maturin from the workspace
# (the dev profile, as the tests above), installed into this Python, then its
# pytest suite (which compares it with the `seg` binary just built, so that is
# required) and a check of its type stubs against the module (mypy's
# stubtest). Its tools and the libraries the tests feed it (pyarrow, Polars,
# pandas; DuckDB is above) come from PyPI.
python3 -m pip install --quiet --disable-pip-version-check \
  "maturin>=1.9,<2" pytest pyarrow polars pandas mypy
rm -rf target/python-wheel
(cd python && maturin build --locked --out ../target/python-wheel)
python3 -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/python-wheel/*.whl
# -P: the checkout's python/seg (without the compiled module) must not shadow
# the installed package.
SEG_BIN="$PWD/target/debug/seg" SEG_REQUIRE_CLI=1 python3 -P -m pytest -q -p no:cacheprovider python/tests
(cd python && python3 -P -m mypy.stubtest seg --mypy-config-file mypy.ini)
