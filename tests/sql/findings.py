#!/usr/bin/env python3
"""Probes engine semantics a SQL generator must know; prints the results as Markdown.

    python3 tests/sql/findings.py > /tmp/probes.md

Every probe runs on DuckDB, PostgreSQL and DataFusion set up exactly as
engines.py sets them up (same session time zones, same table loading), over a
small table `probe` (see make_probe_table). FINDINGS.md quotes this output.
"""
import decimal
import random
import subprocess
import sys
import tempfile
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines  # noqa: E402

D = decimal.Decimal
F8 = {"duckdb": "DOUBLE", "postgres": "float8", "datafusion": "DOUBLE"}


def make_probe_table():
    ts = [1710052200000000, -1, None, 1709251199999999]  # 2024-03-10T06:30:00Z, 1969-12-31T23:59:59.999999Z, -, 2024-02-29T23:59:59.999999Z
    return pa.table({
        "id": pa.array([0, 1, 2, 3], pa.int64()),
        "f": pa.array([float("nan"), 1.5, None, 1.7976931348623157e308], pa.float64()),
        "i": pa.array([9223372036854775807, -9223372036854775808, None, 7], pa.int64()),
        "d53": pa.array([D("2.505"), D("0.125"), None, D("-2.505")], pa.decimal128(5, 3)),
        "d21": pa.array([D("0.1"), D("0.3"), None, D("-0.7")], pa.decimal128(2, 1)),
        "d3810": pa.array([D("7361010.9309535155"), D("0.1"), None, D("1")], pa.decimal128(38, 10)),
        "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "s": pa.array(["straße", "İ", None, "a\nb"], pa.string()),
        "ls": pa.array([["a", None], [], None, [None]], pa.list_(pa.string())),
        "li": pa.array([[1, None], [], None, [None]], pa.list_(pa.int64())),
    })


def make_decimal_table(n=4000, seed=7):
    """Random decimals at several scales, to test CAST(decimal AS DOUBLE) rounding."""
    rng = random.Random(seed)
    cols = {"id": pa.array(range(n), pa.int64())}
    for p, s in [(5, 3), (9, 1), (18, 2), (18, 9), (38, 10), (38, 18), (38, 30), (38, 37)]:
        vals = []
        for _ in range(n):
            digits = rng.randint(1, p)
            v = rng.randrange(10 ** (digits - 1), 10 ** digits) * rng.choice([1, -1])
            vals.append(D(v).scaleb(-s))
        cols[f"d{p}_{s}"] = pa.array(vals, pa.decimal128(p, s))
    return pa.table(cols)


class Engines:
    def __init__(self, work):
        import duckdb
        from datafusion import SessionConfig, SessionContext
        self.duck = duckdb.connect(":memory:")
        self.duck.execute(f"SET TimeZone='{engines.DUCKDB_TZ}'")
        self.df = SessionContext(SessionConfig().set("datafusion.execution.time_zone",
                                                     engines.DATAFUSION_TZ))
        self.pg_server = engines.PostgresServer()
        self.pg_server.start()
        self.pg = self.pg_server.connect()
        for name in ("probe", "decimals"):
            path = str(work / f"{name}.parquet")
            self.duck.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
            self.df.register_parquet(name, path)
            load_pg(self.pg, name, path)

    def close(self):
        try:
            self.pg.close()
        finally:
            self.pg_server.stop()

    def run(self, engine, sql):
        """(columns, rows) or the error message."""
        try:
            if engine == "duckdb":
                cur = self.duck.execute(sql)
                return [d[0] for d in cur.description], cur.fetchall()
            if engine == "postgres":
                with self.pg.cursor() as cur:
                    cur.execute(sql)
                    return [d.name for d in cur.description], cur.fetchall()
            if isinstance(sql, list):  # SETs around one SELECT: the SELECT's result
                result = None
                for stmt in sql:
                    r = self.run(engine, stmt)
                    if stmt.lstrip().upper().startswith("SELECT"):
                        result = r
                return result
            df = self.df.sql(sql)
            rows = []
            for b in df.collect():
                cols = []
                for c in b.columns:
                    try:
                        cols.append(c.to_pylist())
                    except Exception:
                        cols.append([str(x) for x in c])
                rows.extend(zip(*cols))
            return list(df.schema().names), rows
        except Exception as e:
            return "ERROR: " + " ".join(str(e).split())[:300]


def load_pg(conn, name, path):
    # engines.load_postgres loads into `profiles`; rename it.
    engines.load_postgres(conn, Path(path))
    with conn.cursor() as cur:
        cur.execute(f"ALTER TABLE profiles RENAME TO {name}")


ENGINES = ("duckdb", "postgres", "datafusion")

# (title, default SQL with %F8% for the double type, {engine: SQL} overrides)
PROBES = []


def probe(title, sql=None, **per):
    PROBES.append((title, sql, per))


# --- NaN and floats
probe("NULLIF(x, 'NaN') on a NaN column", "SELECT id, NULLIF(f, 'NaN') AS v FROM probe ORDER BY id")
probe("NULLIF(x, CAST('NaN' AS double))",
      "SELECT id, NULLIF(f, CAST('NaN' AS %F8%)) AS v FROM probe ORDER BY id")
probe("NaN = NaN, NaN > +inf, NaN > 1.5",
      "SELECT CAST('NaN' AS %F8%) = CAST('NaN' AS %F8%) AS eq,"
      " CAST('NaN' AS %F8%) > CAST('Infinity' AS %F8%) AS gt_inf, f > 1.5 AS gt FROM probe WHERE id = 0")
probe("isnan()", "SELECT isnan(CAST('NaN' AS %F8%)) AS v")
probe("-0.0 = 0.0 and its text", "SELECT CAST('-0' AS %F8%) = 0 AS eq, CAST(CAST('-0' AS %F8%) AS VARCHAR) AS txt",
      postgres="SELECT CAST('-0' AS float8) = 0 AS eq, CAST('-0' AS float8)::text AS txt")
probe("float overflow: 1e308 * 10 (double)", "SELECT CAST(1e308 AS %F8%) * 10 AS v")
probe("float overflow on a column: f * 10 where f = f64::MAX", "SELECT f * 10 AS v FROM probe WHERE id = 3")
probe("float overflow: f + f where f = f64::MAX", "SELECT f + f AS v FROM probe WHERE id = 3")
probe("float underflow: 1e-308 * 1e-308", "SELECT CAST(1e-308 AS %F8%) * CAST(1e-308 AS %F8%) AS v")
probe("literal 1e308 * 10 without a cast", "SELECT 1e308 * 10 AS v")
for spelling in ["inf", "+inf", "-inf", "Inf", "INF", "infinity", "Infinity", "-Infinity", "+Infinity",
                 "nan", "NaN", "-nan", "+nan", "1e309", "-1e309", " 1.5 ", "1e-400"]:
    probe(f"CAST('{spelling}' AS double)", f"SELECT CAST('{spelling}' AS %F8%) AS v")
probe("typed literal: DOUBLE 'inf'", "SELECT DOUBLE 'inf' AS v",
      postgres="SELECT float8 'inf' AS v")
probe("'Infinity'::float8 and 'NaN'::float8 shorthand", "SELECT 'Infinity'::DOUBLE AS a, 'NaN'::DOUBLE AS b",
      postgres="SELECT 'Infinity'::float8 AS a, 'NaN'::float8 AS b")

# --- division and integers
probe("int / int", "SELECT 7 / 2 AS a, -7 / 2 AS b, -7 % 2 AS c")
probe("int / 0", "SELECT 1 / 0 AS v")
probe("double / 0", "SELECT CAST(1 AS %F8%) / 0 AS v")
probe("double / 0.0 (0/0)", "SELECT CAST(0 AS %F8%) / CAST(0 AS %F8%) AS v")
probe("integer overflow on a column: i + 1 where i = i64::MAX", "SELECT i + 1 AS v FROM probe WHERE id = 0")
probe("integer overflow: -i where i = i64::MIN", "SELECT -i AS v FROM probe WHERE id = 1")
probe("integer overflow: i * 2 where i = i64::MAX", "SELECT i * 2 AS v FROM probe WHERE id = 0")
probe("abs(i64::MIN)", "SELECT abs(i) AS v FROM probe WHERE id = 1")
probe("DuckDB TRY(i + 1)", duckdb="SELECT TRY(i + 1) AS v FROM probe WHERE id = 0")
probe("empty IN list", "SELECT 1 IN () AS v")

# --- decimals
probe("decimal literal type", "SELECT typeof(2.505) AS a, typeof(0.1) AS b, typeof(1e3) AS c",
      postgres="SELECT pg_typeof(2.505)::text AS a, pg_typeof(0.1)::text AS b, pg_typeof(1e3)::text AS c",
      datafusion="SELECT arrow_typeof(2.505) AS a, arrow_typeof(0.1) AS b, arrow_typeof(1e3) AS c")
probe("CAST(decimal column AS double): numeric(5,3) 2.505, 0.125, -2.505",
      "SELECT id, CAST(d53 AS %F8%) AS v FROM probe ORDER BY id")
probe("CAST(decimal column AS double): numeric(2,1) 0.1, 0.3, -0.7",
      "SELECT id, CAST(d21 AS %F8%) AS v FROM probe ORDER BY id")
probe("decimal column = literal 2.505 / 0.1", "SELECT id, d53 = 2.505 AS a, d21 = 0.1 AS b FROM probe ORDER BY id")
probe("decimal(38,10) column 7361010.9309535155 = the same digits as a literal",
      "SELECT id, d3810 = 7361010.9309535155 AS v, d3810 > 7361010.930953515 AS gt FROM probe WHERE id = 0")
probe("decimal(38,10) column = literal, the literal cast to the column's decimal type",
      "SELECT id, d3810 = CAST('7361010.9309535155' AS DECIMAL(38,10)) AS v FROM probe WHERE id = 0")
probe("DataFusion with datafusion.sql_parser.parse_float_as_decimal = true",
      datafusion=["SET datafusion.sql_parser.parse_float_as_decimal = true",
                  "SELECT id, d3810 = 7361010.9309535155 AS v, arrow_typeof(7361010.9309535155) AS t,"
                  " arrow_typeof(0.1) AS t2 FROM probe WHERE id = 0",
                  "SET datafusion.sql_parser.parse_float_as_decimal = false"])
probe("decimal(2,1) column = 0.1 as double literal",
      "SELECT id, d21 = CAST(0.1 AS %F8%) AS v FROM probe ORDER BY id")
probe("decimal(5,3) + decimal(2,1) result type",
      "SELECT typeof(d53 + d21) AS t, typeof(d53 * d21) AS m, typeof(d53 / d21) AS q FROM probe LIMIT 1",
      postgres="SELECT pg_typeof(d53 + d21)::text AS t, pg_typeof(d53 * d21)::text AS m,"
               " (d53 / d21)::text AS q FROM probe LIMIT 1",
      datafusion="SELECT arrow_typeof(d53 + d21) AS t, arrow_typeof(d53 * d21) AS m,"
                 " arrow_typeof(d53 / d21) AS q FROM probe LIMIT 1")

# --- time
probe("type of a Timestamp(us, \"UTC\") column", "SELECT typeof(ts) AS t FROM probe LIMIT 1",
      postgres="SELECT pg_typeof(ts)::text AS t FROM probe LIMIT 1",
      datafusion="SELECT arrow_typeof(ts) AS t FROM probe LIMIT 1")
probe("ts = naive TIMESTAMP '2024-03-10 06:30:00' (ts is 2024-03-10T06:30:00Z)",
      "SELECT id, ts = TIMESTAMP '2024-03-10 06:30:00' AS v FROM probe WHERE id = 0")
probe("ts = TIMESTAMPTZ '2024-03-10 06:30:00+00'",
      "SELECT id, ts = TIMESTAMPTZ '2024-03-10 06:30:00+00' AS v FROM probe WHERE id = 0",
      datafusion="SELECT id, ts = TIMESTAMPTZ '2024-03-10 06:30:00+00:00' AS v FROM probe WHERE id = 0")
probe("ts = TIMESTAMP '2024-03-10T06:30:00Z' (zoned text in a TIMESTAMP literal)",
      "SELECT id, ts = TIMESTAMP '2024-03-10T06:30:00Z' AS v FROM probe WHERE id = 0")
probe("ts = '2024-03-10T06:30:00Z' (string literal)",
      "SELECT id, ts = '2024-03-10T06:30:00Z' AS v FROM probe WHERE id = 0")
probe("ts = CAST('2024-03-10T06:30:00+00:00' AS TIMESTAMPTZ)",
      "SELECT id, ts = CAST('2024-03-10T06:30:00+00:00' AS TIMESTAMPTZ) AS v FROM probe WHERE id = 0",
      datafusion="SELECT id, ts = CAST('2024-03-10T06:30:00+00:00' AS TIMESTAMP WITH TIME ZONE) AS v"
                 " FROM probe WHERE id = 0")
probe("DataFusion: ts = to_timestamp_micros(1710052200000000)",
      datafusion="SELECT id, ts = to_timestamp_micros(1710052200000000) AS v,"
                 " arrow_typeof(to_timestamp_micros(1710052200000000)) AS t FROM probe WHERE id = 0")
probe("DataFusion: ts = arrow_cast(1710052200000000, 'Timestamp(Microsecond, Some(\"UTC\"))')",
      datafusion="SELECT id, ts = arrow_cast(1710052200000000, 'Timestamp(Microsecond, Some(\"UTC\"))') AS v"
                 " FROM probe WHERE id = 0")
probe("epoch seconds / micros of ts",
      duckdb="SELECT epoch(ts) AS s, epoch_us(ts) AS us FROM probe WHERE id = 0",
      postgres="SELECT extract(epoch FROM ts) AS s, (extract(epoch FROM ts) * 1000000)::bigint AS us"
               " FROM probe WHERE id = 0",
      datafusion="SELECT to_unixtime(ts) AS s, CAST(ts AS BIGINT) AS us, arrow_cast(ts, 'Int64') AS ac,"
                 " arrow_typeof(to_unixtime(ts)) AS t FROM probe WHERE id = 0")
probe("DataFusion: to_unixtime / CAST AS BIGINT of a pre-epoch instant and of NULL",
      datafusion="SELECT id, to_unixtime(ts) AS s, CAST(ts AS BIGINT) AS us FROM probe ORDER BY id")
probe("hour/day of ts (2024-03-10T06:30:00Z) in the session zone",
      "SELECT extract(hour FROM ts) AS h, extract(day FROM ts) AS d, CAST(ts AS DATE) AS dt FROM probe WHERE id = 0",
      datafusion="SELECT date_part('hour', ts) AS h, date_part('day', ts) AS d, CAST(ts AS DATE) AS dt"
                 " FROM probe WHERE id = 0")
probe("hour of ts AT TIME ZONE 'UTC'",
      "SELECT extract(hour FROM ts AT TIME ZONE 'UTC') AS h FROM probe WHERE id = 0",
      datafusion="SELECT date_part('hour', arrow_cast(ts, 'Timestamp(Microsecond, Some(\"UTC\"))')) AS h,"
                 " date_part('hour', ts AT TIME ZONE 'UTC') AS h2 FROM probe WHERE id = 0")
probe("DATE '2024-03-10' < ts (ts = 2024-03-10T06:30:00Z; DATE as midnight in which zone?)",
      "SELECT id, DATE '2024-03-10' < ts AS v, CAST(DATE '2024-03-10' AS TIMESTAMPTZ) AS d FROM probe WHERE id = 0",
      datafusion="SELECT id, DATE '2024-03-10' < ts AS v, CAST(CAST(DATE '2024-03-10' AS TIMESTAMP) AS VARCHAR) AS d"
                 " FROM probe WHERE id = 0")
probe("CAST(ts AS DATE) of 2024-02-29T23:59:59.999999Z (row 3)",
      "SELECT CAST(ts AS DATE) AS dt FROM probe WHERE id = 3")
probe("ts < DATE '2024-03-01' where ts = 2024-02-29T23:59:59.999999Z (true if the DATE is UTC midnight)",
      "SELECT ts < DATE '2024-03-01' AS v FROM probe WHERE id = 3")
probe("naive TIMESTAMP literal cast to the zoned type",
      "SELECT CAST(TIMESTAMP '2024-03-10 06:30:00' AS TIMESTAMPTZ) AS v",
      datafusion="SELECT CAST(CAST(TIMESTAMP '2024-03-10 06:30:00' AS TIMESTAMP WITH TIME ZONE) AS VARCHAR) AS v,"
                 " arrow_typeof(CAST(TIMESTAMP '2024-03-10 06:30:00' AS TIMESTAMP WITH TIME ZONE)) AS t")
probe("DataFusion: to_timestamp('2024-03-10T06:30:00') (naive text) = ts?",
      datafusion="SELECT id, ts = to_timestamp('2024-03-10T06:30:00') AS v,"
                 " ts = to_timestamp('2024-03-10T06:30:00Z') AS vz FROM probe WHERE id = 0")

# --- strings
CASES = ["straße", "ß", "İ", "ΣΑΣ", "ǅ", "ﬁ", "ŉ", "ᾳ", "I"]
probe("upper(): straße, ß, ﬁ, ǅ, ŉ, ᾳ",
      "SELECT upper('straße') AS a, upper('ß') AS b, upper('ﬁ') AS c, upper('ǅ') AS d, upper('ŉ') AS e,"
      " upper('ᾳ') AS f")
probe("lower(): İ, ΣΑΣ (final sigma), ǅ, I",
      "SELECT lower('İ') AS a, length(lower('İ')) AS n, lower('ΣΑΣ') AS b, lower('ǅ') AS c, lower('I') AS d")
probe("PostgreSQL with ICU collation: upper/lower COLLATE \"und-x-icu\"",
      postgres="SELECT upper('straße' COLLATE \"und-x-icu\") AS a, upper('ﬁ' COLLATE \"und-x-icu\") AS c,"
               " lower('İ' COLLATE \"und-x-icu\") AS d, lower('ΣΑΣ' COLLATE \"und-x-icu\") AS e,"
               " upper('ŉ' COLLATE \"und-x-icu\") AS f")
probe("PostgreSQL: lower/upper COLLATE \"C\"",
      postgres="SELECT upper('straße' COLLATE \"C\") AS a, lower('İ' COLLATE \"C\") AS b")
probe("string < on non-ASCII ('a'<'B', 'é'<'z', 'Z'<'a', 'ｱ'<'😀', 'ä'<'b', 'a'<'a ', 'ab'<'a b')",
      "SELECT 'a' < 'B' AS a, 'é' < 'z' AS b, 'Z' < 'a' AS c, 'ｱ' < '😀' AS d, 'ä' < 'b' AS e,"
      " 'a' < 'a ' AS f, 'ab' < 'a b' AS g")
probe("PostgreSQL string < with COLLATE \"C\"",
      postgres="SELECT 'a' < 'B' COLLATE \"C\" AS a, 'é' < 'z' COLLATE \"C\" AS b, 'Z' < 'a' COLLATE \"C\" AS c,"
               " 'ｱ' < '😀' COLLATE \"C\" AS d, 'ä' < 'b' COLLATE \"C\" AS e, 'ab' < 'a b' COLLATE \"C\" AS g")
probe("PostgreSQL string < with COLLATE \"und-x-icu\"",
      postgres="SELECT 'a' < 'B' COLLATE \"und-x-icu\" AS a, 'é' < 'z' COLLATE \"und-x-icu\" AS b,"
               " 'Z' < 'a' COLLATE \"und-x-icu\" AS c, 'ｱ' < '😀' COLLATE \"und-x-icu\" AS d")
probe("PostgreSQL database collation", postgres="SELECT datcollate, datctype FROM pg_database WHERE datname = 'postgres'")
probe("length of emoji / combining", "SELECT length('😀') AS a, length('é') AS b, length('e' || chr(769)) AS c")
probe("backslash in a string literal", "SELECT length('a\\b') AS n, 'a\\nb' AS s")
probe("LIKE with backslash: 'a_b' LIKE 'a\\_b', 'axb' LIKE 'a\\_b'",
      "SELECT 'a_b' LIKE 'a\\_b' AS a, 'axb' LIKE 'a\\_b' AS b, 'a\\b' LIKE 'a\\b' AS c")
probe("LIKE ... ESCAPE '\\'", "SELECT 'a_b' LIKE 'a\\_b' ESCAPE '\\' AS a, 'axb' LIKE 'a\\_b' ESCAPE '\\' AS b")
probe("LIKE and newline: 'a\\nb' LIKE 'a_b', LIKE 'a%'",
      "SELECT s LIKE 'a_b' AS a, s LIKE 'a%' AS b FROM probe WHERE id = 3")
probe("starts_with / strpos", "SELECT starts_with('straße', 'str') AS a, strpos('straße', 'ße') AS b")

# --- regex: s = 'a\nb' in row 3
REGEX = [
    ("dot matches newline? 'a\\nb' ~ 'a.b'", "s", "a.b", 3),
    ("^ after newline? 'a\\nb' ~ '^b'", "s", "^b", 3),
    ("$ before newline? 'a\\nb' ~ 'a$'", "s", "a$", 3),
    ("\\d on Arabic-Indic three", "'٣'", "\\d", 0),
    ("\\w on é", "'é'", "^\\w$", 0),
    ("\\b word boundary: 'foo bar' ~ 'foo\\b'", "'foo bar'", "foo\\b", 0),
    ("\\y word boundary: 'foo bar' ~ 'foo\\y'", "'foo bar'", "foo\\y", 0),
    ("(?i) at start: 'ABC' ~ '(?i)abc'", "'ABC'", "(?i)abc", 0),
    ("(?i) mid-pattern: 'aB' ~ 'a(?i)b'", "'aB'", "a(?i)b", 0),
    ("(?i) non-ASCII: 'É' ~ '(?i)é'", "'É'", "(?i)é", 0),
    ("(?i) ß vs ẞ: 'ẞ' ~ '(?i)ß'", "'ẞ'", "(?i)ß", 0),
    ("\\p{L} on é", "'é'", "^\\p{L}$", 0),
    ("[[:alpha:]] on é", "'é'", "^[[:alpha:]]$", 0),
    ("lookahead (?=b)", "'ab'", "a(?=b)", 0),
    ("backreference (a)\\1", "'aa'", "(a)\\1", 0),
    ("\\A and \\z", "'ab'", "\\Aab\\z", 0),
    ("\\Z", "'ab'", "ab\\Z", 0),
    ("(?s) flag: 'a\\nb' ~ '(?s)a.b'", "s", "(?s)a.b", 3),
    ("partial match: 'xaby' ~ 'ab'", "'xaby'", "ab", 0),
    ("{,3} quantifier: 'aaaa' ~ '^a{,3}$'", "'aaaa'", "^a{,3}$", 0),
    ("emoji as one char: '😀' ~ '^.$'", "'😀'", "^.$", 0),
]
for title, subject, pat, row in REGEX:
    lit = pat.replace("'", "''")
    probe(f"regex {title}",
          duckdb=f"SELECT regexp_matches({subject}, '{lit}') AS v FROM probe WHERE id = {row}",
          postgres=f"SELECT {subject} ~ '{lit}' AS v FROM probe WHERE id = {row}",
          datafusion=f"SELECT {subject} ~ '{lit}' AS v, regexp_like({subject}, '{lit}') AS v2"
                     f" FROM probe WHERE id = {row}")
probe("DuckDB: the ~ operator is a partial match, like regexp_matches",
      duckdb="SELECT 'xaby' ~ 'ab' AS a, regexp_full_match('xaby', 'ab') AS b, 'xaby' ~ '.*ab.*' AS c")

# --- lists: ls = ['a', NULL], [], NULL, [NULL]
probe("list contains 'b' when the list holds a NULL element",
      duckdb="SELECT id, list_contains(ls, 'b') AS has_b, list_contains(ls, 'a') AS has_a,"
             " list_has_any(ls, ['b']) AS any_b, list_has_all(ls, ['a']) AS all_a FROM probe ORDER BY id",
      postgres="SELECT id, 'b' = ANY(ls) AS has_b, 'a' = ANY(ls) AS has_a, ls && ARRAY['b'] AS any_b,"
               " ls @> ARRAY['a'] AS all_a FROM probe ORDER BY id",
      datafusion="SELECT id, array_has(ls, 'b') AS has_b, array_has(ls, 'a') AS has_a,"
                 " array_has_any(ls, make_array('b')) AS any_b, array_has_all(ls, make_array('a')) AS all_a"
                 " FROM probe ORDER BY id")
probe("list contains NULL? (has_all / @> with a NULL needle)",
      duckdb="SELECT id, list_contains(ls, NULL) AS v FROM probe ORDER BY id",
      postgres="SELECT id, ls @> ARRAY[NULL::text] AS v FROM probe ORDER BY id",
      datafusion="SELECT id, array_has(ls, NULL) AS v FROM probe ORDER BY id")
probe("list length of [], NULL, [NULL]",
      duckdb="SELECT id, len(ls) AS n FROM probe ORDER BY id",
      postgres="SELECT id, cardinality(ls) AS n, array_length(ls, 1) AS al FROM probe ORDER BY id",
      datafusion="SELECT id, array_length(ls) AS n, cardinality(ls) AS c FROM probe ORDER BY id")
probe("int list contains 1 / 2",
      duckdb="SELECT id, list_contains(li, 1) AS a, list_contains(li, 2) AS b FROM probe ORDER BY id",
      postgres="SELECT id, li @> ARRAY[1::bigint] AS a, li && ARRAY[2::bigint] AS b FROM probe ORDER BY id",
      datafusion="SELECT id, array_has(li, 1) AS a, array_has(li, 2) AS b FROM probe ORDER BY id")


def rust_case_truth():
    """Rust's to_uppercase/to_lowercase of the probe strings (rustc, no crates)."""
    rustc = shutil.which("rustc")
    if not rustc:
        return None
    d = Path(tempfile.mkdtemp(prefix="seg-case-"))
    try:
        words = ", ".join('"' + w + '"' for w in CASES)
        (d / "c.rs").write_text(
            "fn main() { for w in [" + words + "] {"
            ' println!("{:?} upper={:?} lower={:?}", w, w.to_uppercase(), w.to_lowercase()); }'
            ' for (a, b) in [("a","B"),("é","z"),("Z","a"),("ｱ","😀"),("ä","b"),("a","a "),("ab","a b")] {'
            ' println!("{:?} < {:?} = {}", a, b, a < b); } }\n')
        subprocess.run([rustc, "-O", "-o", str(d / "c"), str(d / "c.rs")], check=True,
                       capture_output=True)
        return subprocess.run([str(d / "c")], check=True, capture_output=True, text=True).stdout
    except Exception as e:
        return f"(rustc failed: {e})"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def decimal_rounding(eng):
    """Counts CAST(decimal AS DOUBLE) results that are not the correctly rounded double."""
    table = make_decimal_table()
    names = [n for n in table.column_names if n != "id"]
    out = []
    for engine in ENGINES:
        sel = ", ".join(f"CAST({n} AS {F8[engine]}) AS {n}" for n in names)
        res = eng.run(engine, f"SELECT id, {sel} FROM decimals ORDER BY id")
        if isinstance(res, str):
            out.append(f"- {engine}: {res}")
            continue
        _, rows = res
        parts = []
        for j, n in enumerate(names, start=1):
            want = table.column(n).to_pylist()
            bad = [(want[r[0]], r[j]) for r in rows if float(want[r[0]]) != r[j]]
            ex = f" e.g. {bad[0][0]} -> {bad[0][1]!r} (correct {float(bad[0][0])!r})" if bad else ""
            parts.append(f"{n}: {len(bad)}/{len(rows)} wrong{ex}")
        out.append(f"- {engine}: " + "; ".join(parts))
    return "\n".join(out)


def md(v):
    return str(v).replace("|", "\\|").replace("\n", "\\n")


def main():
    work = Path(tempfile.mkdtemp(prefix="seg-findings-"))
    eng = None
    try:
        pq.write_table(make_probe_table(), work / "probe.parquet")
        pq.write_table(make_decimal_table(), work / "decimals.parquet")
        eng = Engines(work)
        import duckdb
        import datafusion
        with eng.pg.cursor() as cur:
            cur.execute("SELECT version()")
            pgv = cur.fetchone()[0].split(" on ")[0]
        print(f"Engines: DuckDB {duckdb.__version__} (TimeZone {engines.DUCKDB_TZ}), {pgv} "
              f"(TimeZone {engines.POSTGRES_TZ}, initdb --locale=C.UTF-8), DataFusion (Python) "
              f"{datafusion.__version__} (time_zone {engines.DATAFUSION_TZ}).\n")
        print("Table `probe` (Parquet written by pyarrow): row 0: f=NaN, i=i64::MAX, d53=2.505, d21=0.1, d3810=7361010.9309535155,"
              " ts=2024-03-10T06:30:00Z, s='straße', ls=['a',NULL], li=[1,NULL]; row 1: f=1.5, i=i64::MIN,"
              " d53=0.125, d21=0.3, ts=1969-12-31T23:59:59.999999Z, s='İ', ls=[], li=[]; row 2: all NULL;"
              " row 3: f=f64::MAX, i=7, d53=-2.505, d21=-0.7, ts=2024-02-29T23:59:59.999999Z,"
              " s='a\\nb', ls=[NULL], li=[NULL].\n")
        for title, sql, per in PROBES:
            print(f"#### {title}\n")
            print("| engine | query | result |\n|---|---|---|")
            for engine in ENGINES:
                q = per.get(engine, sql)
                if q is None:
                    continue
                if isinstance(q, list):
                    res = eng.run(engine, q)
                    q = "; ".join(q)
                else:
                    q = q.replace("%F8%", F8[engine])
                    res = eng.run(engine, q)
                if not isinstance(res, str):
                    cols, rows = res
                    res = ", ".join(str(tuple(r)) for r in rows) if len(cols) > 1 else \
                        ", ".join(repr(r[0]) for r in rows)
                    res = f"{tuple(cols)}: {res}" if len(cols) > 1 else res
                print(f"| {engine} | `{md(q)}` | `{md(res)}` |")
            print()
        print("#### CAST(decimal AS DOUBLE) against the correctly rounded double"
              " (Python float(Decimal), the same as Rust's str::parse::<f64>)\n")
        print("4000 random values per column, `SELECT id, CAST(dP_S AS DOUBLE) ... FROM decimals`:\n")
        print(decimal_rounding(eng))
        print()
        truth = rust_case_truth()
        if truth:
            print("#### Rust's answers (rustc, str::to_uppercase / to_lowercase / <)\n")
            print("```\n" + truth.rstrip() + "\n```")
        return 0
    finally:
        if eng is not None:
            eng.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
