#!/usr/bin/env python3
"""Self-test of engines.py: a tiny work dir with every tricky value, run on all engines.

    python3 tests/sql/selftest.py [--keep] [--engines duckdb,postgres,datafusion]
    python3 tests/sql/selftest.py --timing     # 300 queries x 600 rows per engine, timed

Writes profiles.parquet with pyarrow (NaN, ±0.0, ±inf, extremes, decimals at
full precision, quotes, backslashes, newlines, emoji, dates and timestamps far
from 1970 and at DST changes, empty lists, null lists, null elements) plus a few
queries per dialect, runs engines.py, and checks that
  - a trivial predicate gives identical rows on every engine,
  - PostgreSQL holds every value faithfully, with the faithful column types,
  - a failing statement is recorded as an error and does not stop the others.
Exit status 0 when all checks pass, 1 otherwise.
"""
import argparse
import datetime
import decimal
import json
import math
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
UTC = datetime.timezone.utc
D = decimal.Decimal

FLOATS = [float("nan"), 0.0, -0.0, float("inf"), float("-inf"), 1.7976931348623157e308,
          -1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 0.1, 2.505, None]
STRINGS = ["", "it's", "back\\slash", "new\nline", "tab\tcr\r", "100%_done", "straße", "İstanbul",
           "😀 emoji", '"double"', "\\N", "NULL", "{a,b}", "日本語", "a'b\\'c", None]
DEC1 = [D("2.505"), D("-0.001"), D("99.999"), D("0.000"), None]                 # decimal(5,3)
DEC2 = [D("9" * 38), D("-" + "9" * 38), D(0), D(1), None]                       # decimal(38,0)
DEC3 = [D("0." + "1" * 37), D("-9.9999999999999999999999999999999999999"), None]  # decimal(38,37)
DATES = [0, 19782, -719162, 2932896, -1, 20758, None]  # 1970-01-01, 2024-02-29, 0001-01-01, 9999-12-31
TS = [0, 1709251199999999, -62135596800000000, 253402300799999999, -1,
      1772947800000000,  # 2026-03-08T05:30:00Z, St. John's DST starts
      1793503800000000,  # 2026-11-01T04:30:00Z, St. John's DST ends
      None]
LIST_S = [[], None, [None], ["a", None, "b"], ['q"uote', "back\\", "comma,", "{br}", "NULL", " sp ", ""],
          ["😀", "new\nline"]]
LIST_I = [[], None, [None], [1, None, -9223372036854775808], [9223372036854775807]]
INTS = [None, 0, -1, 9223372036854775807, -9223372036854775808, 42]
BOOLS = [True, False, None]
N = 16


def pick(values, i):
    return values[i % len(values)]


def make_table(n=N):
    rows = range(n)
    return pa.table({
        "id": pa.array(list(rows), pa.int64()),
        "i64": pa.array([pick(INTS, i) for i in rows], pa.int64()),
        "i32": pa.array([pick([None, -2147483648, 2147483647, 7], i) for i in rows], pa.int32()),
        "i16": pa.array([pick([None, -32768, 32767], i) for i in rows], pa.int16()),
        "i8": pa.array([pick([None, -128, 127], i) for i in rows], pa.int8()),
        "f": pa.array([pick(FLOATS, i) for i in rows], pa.float64()),
        "d1": pa.array([pick(DEC1, i) for i in rows], pa.decimal128(5, 3)),
        "d2": pa.array([pick(DEC2, i) for i in rows], pa.decimal128(38, 0)),
        "d3": pa.array([pick(DEC3, i) for i in rows], pa.decimal128(38, 37)),
        "b": pa.array([pick(BOOLS, i) for i in rows], pa.bool_()),
        "s": pa.array([pick(STRINGS, i) for i in rows], pa.string()),
        "dt": pa.array([pick(DATES, i) for i in rows], pa.int32()).cast(pa.date32()),
        "ts": pa.array([pick(TS, i) for i in rows], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "ls": pa.array([pick(LIST_S, i) for i in rows], pa.list_(pa.string())),
        "li": pa.array([pick(LIST_I, i) for i in rows], pa.list_(pa.int64())),
    })


TRIVIAL = {
    # the same statement on every engine: key then booleans
    "t01": "SELECT id, i64 > 0 AS pos, b AS b, i64 IS NULL AS n, s IS NOT NULL AS has_s FROM profiles",
    "t02": "SELECT id, d1 > 2.5 AS d, dt < DATE '2000-01-01' AS old FROM profiles WHERE id % 2 = 0",
}
BROKEN = "SELECT id, no_such_column > 1 AS x FROM profiles"
TZ_CHECK = {
    "duckdb": "SELECT 0 AS id, current_setting('TimeZone') = 'Asia/Kathmandu' AS tz",
    "postgres": "SELECT 0 AS id, current_setting('TimeZone') = 'America/St_Johns' AS tz",
    "datafusion": "SELECT 0 AS id, arrow_typeof(now()) = 'Timestamp(ns, \"Asia/Kathmandu\")' AS tz",
}
PG_VALUES = """SELECT id, f::text AS f, d1::text AS d1, d2::text AS d2, d3::text AS d3,
  s, dt - DATE '1970-01-01' AS dt_days,
  (extract(epoch FROM ts) * 1000000)::bigint AS ts_us,
  to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS ts_utc,
  ls, li, cardinality(ls) AS ls_n, i64, i32, i16, i8, b,
  f = 'NaN'::float8 AS f_is_nan
FROM profiles ORDER BY id"""
PG_TYPES = """SELECT attname::text AS id, format_type(atttypid, atttypmod) AS type
FROM pg_attribute WHERE attrelid = 'profiles'::regclass AND attnum > 0 ORDER BY attnum"""
EXPECTED_PG_TYPES = {
    "id": "bigint", "i64": "bigint", "i32": "integer", "i16": "smallint", "i8": "smallint",
    "f": "double precision", "d1": "numeric(5,3)", "d2": "numeric(38,0)", "d3": "numeric(38,37)",
    "b": "boolean", "s": "text", "dt": "date", "ts": "timestamp with time zone",
    "ls": "text[]", "li": "bigint[]",
}


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def true(self, what, cond):
        self.eq(what, bool(cond), True)


def float_text_ok(text, want):
    if want is None:
        return text is None
    if math.isnan(want):
        return text == "NaN"
    got = float(text.replace("Infinity", "inf"))
    return struct.pack("<d", got) == struct.pack("<d", want)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="keep the work dir and print its path")
    ap.add_argument("--engines", default="duckdb,postgres,datafusion")
    ap.add_argument("--timing", action="store_true",
                    help="time 300 queries over 600 rows per engine instead of checking")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if args.timing:
        return timing(engines)

    work = Path(tempfile.mkdtemp(prefix="seg-sql-selftest-"))
    try:
        table = make_table()
        pq.write_table(table, work / "profiles.parquet")
        for e in engines:
            q = work / "queries" / e
            q.mkdir(parents=True)
            for qid, sql in TRIVIAL.items():
                (q / f"{qid}.sql").write_text(sql + "\n")
            (q / "x_broken.sql").write_text(BROKEN + "\n")
            (q / "z_tz.sql").write_text(TZ_CHECK[e] + "\n")
        if "postgres" in engines:
            (work / "queries" / "postgres" / "v_values.sql").write_text(PG_VALUES)
            (work / "queries" / "postgres" / "v_types.sql").write_text(PG_TYPES)

        p = subprocess.run([sys.executable, str(HERE / "engines.py"), str(work),
                            "--engines", ",".join(engines)], capture_output=True, text=True)
        sys.stderr.write(p.stderr)
        c = Checks()
        c.eq("engines.py exit status", p.returncode, 0)
        if p.returncode != 0:
            return report(c, work, args.keep)

        def load(engine, qid):
            return json.loads((work / "results" / engine / f"{qid}.json").read_text())

        # identical rows for the trivial predicates, compared by key
        for qid in TRIVIAL:
            by_engine = {}
            for e in engines:
                r = load(e, qid)
                c.true(f"{e}/{qid} has no error ({r.get('error')})", "error" not in r)
                if "error" in r:
                    continue
                by_engine[e] = (r["columns"], sorted(r["rows"], key=lambda row: row[0]))
            first = engines[0]
            for e in engines[1:]:
                if first in by_engine and e in by_engine:
                    c.eq(f"{qid}: {e} rows == {first} rows", by_engine[e], by_engine[first])
        t01 = {row[0]: row for row in load(engines[0], "t01")["rows"]}
        for i in range(N):
            v = pick(INTS, i)
            c.eq(f"t01 row {i}", t01[i], [i, None if v is None else v > 0, pick(BOOLS, i),
                                          v is None, pick(STRINGS, i) is not None])

        for e in engines:
            r = load(e, "x_broken")
            c.true(f"{e}: a broken query is recorded as an error", "error" in r and r["error"])
            c.eq(f"{e}: session time zone is the non-UTC one", load(e, "z_tz").get("rows"),
                 [[0, True]])

        if "postgres" in engines:
            types = dict(load("postgres", "v_types")["rows"])
            c.eq("postgres column types", types, EXPECTED_PG_TYPES)
            vals = load("postgres", "v_values")
            cols = vals.get("columns", [])
            rows = [dict(zip(cols, row)) for row in vals.get("rows", [])]
            c.eq("postgres row count", len(rows), N)
            for i, row in enumerate(rows):
                c.true(f"pg row {i} f {row['f']!r} vs {pick(FLOATS, i)!r}",
                       float_text_ok(row["f"], pick(FLOATS, i)))
                want_nan = pick(FLOATS, i)
                c.eq(f"pg row {i} f = 'NaN'", row["f_is_nan"],
                     None if want_nan is None else math.isnan(want_nan))
                for col, vals_ in (("d1", DEC1), ("d2", DEC2), ("d3", DEC3)):
                    w = pick(vals_, i)
                    c.eq(f"pg row {i} {col}", None if row[col] is None else D(row[col]), w)
                    if w is not None and col == "d1":
                        c.eq(f"pg row {i} d1 scale kept", row[col], format(w.quantize(D("0.001")), "f"))
                c.eq(f"pg row {i} s", row["s"], pick(STRINGS, i))
                c.eq(f"pg row {i} dt", row["dt_days"], pick(DATES, i))
                c.eq(f"pg row {i} ts", row["ts_us"], pick(TS, i))
                t = pick(TS, i)
                if t is not None:
                    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=t)
                    c.eq(f"pg row {i} ts text", row["ts_utc"], f"{dt.year:04d}-" + dt.strftime("%m-%d %H:%M:%S.%f"))
                c.eq(f"pg row {i} ls", row["ls"], pick(LIST_S, i))
                c.eq(f"pg row {i} li", row["li"], pick(LIST_I, i))
                c.eq(f"pg row {i} ints", [row["i64"], row["i32"], row["i16"], row["i8"]],
                     [pick(INTS, i), pick([None, -2147483648, 2147483647, 7], i),
                      pick([None, -32768, 32767], i), pick([None, -128, 127], i)])
                c.eq(f"pg row {i} b", row["b"], pick(BOOLS, i))
        return report(c, work, args.keep)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


TIMING_PREDICATES = [
    "i64 > {k}", "f < {k}.5", "d1 >= 1.5", "b AND i32 > {k}", "s IS NOT NULL AND s < 'm'",
    "dt >= DATE '2000-01-01'", "i64 IS NULL OR i16 = {k}", "NOT (i8 > 0)", "d2 > {k}",
]


def timing(engines):
    import time
    work = Path(tempfile.mkdtemp(prefix="seg-sql-timing-"))
    try:
        pq.write_table(make_table(600), work / "profiles.parquet")
        for e in engines:
            q = work / "queries" / e
            q.mkdir(parents=True)
            for k in range(300):
                cols = ", ".join(f"{TIMING_PREDICATES[(k + j) % len(TIMING_PREDICATES)].format(k=k)}"
                                 f" AS c{j}" for j in range(4))
                (q / f"p{k:04d}.sql").write_text(f"SELECT id, {cols} FROM profiles\n")
        for e in engines:
            t0 = time.monotonic()
            p = subprocess.run([sys.executable, str(HERE / "engines.py"), str(work), "--engines", e],
                               capture_output=True, text=True)
            took = time.monotonic() - t0
            errors = sum("error" in json.loads(f.read_text())
                         for f in (work / "results" / e).glob("*.json"))
            sys.stderr.write(p.stderr)
            sys.stderr.flush()
            print(f"{e}: exit {p.returncode}, 300 queries x 600 rows, {errors} errors,"
                  f" {took:.2f}s wall (whole process)", flush=True)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(c, work, keep):
    for f in c.failures:
        print("FAIL", f)
    print(f"selftest: {c.passed} checks passed, {len(c.failures)} failed"
          + (f"; work dir kept at {work}" if keep else ""))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
