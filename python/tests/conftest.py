"""Shared fixtures: the repository's bundled examples, and the `seg` command
line, which several tests compare the package with (the same library behind
both, so the same results)."""

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROFILES = EXAMPLES / "profiles.parquet"
AS_OF = "2026-11-24T00:00:00Z"


def seg_binary():
    """The `seg` binary: $SEG_BIN, else the workspace's debug build."""
    named = os.environ.get("SEG_BIN")
    if named:
        return named
    built = ROOT / "target" / "debug" / "seg"
    if built.exists():
        return str(built)
    return shutil.which("seg")


@pytest.fixture(scope="session")
def cli():
    """Runs the `seg` command line; skipped when it is not built, unless
    SEG_REQUIRE_CLI=1 (scripts/test.sh), where a missing binary fails."""
    binary = seg_binary()
    if binary is None:
        if os.environ.get("SEG_REQUIRE_CLI") == "1":
            pytest.fail("the seg binary is required (SEG_REQUIRE_CLI=1) but was not found")
        pytest.skip("the seg binary is not built (cargo build -p seg-cli)")

    def run(*args, check=True):
        done = subprocess.run(
            [binary, *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        if check and done.returncode != 0:
            raise AssertionError(f"seg {' '.join(map(str, args))} failed:\n{done.stderr}")
        return done

    return run


@pytest.fixture(scope="session")
def profiles():
    """The bundled profiles as a pyarrow Table."""
    import pyarrow.parquet as pq

    return pq.read_table(PROFILES)
