#!/usr/bin/env python3
"""Runs generated SQL on real engines: DuckDB, PostgreSQL, DataFusion and Spark.

    python3 tests/sql/engines.py W [--engines duckdb,postgres,datafusion,spark]

W is a work directory holding

    W/profiles.parquet              the table, read by every engine as `profiles`
    W/queries/<dialect>/<id>.sql    one `SELECT key, <booleans...> FROM profiles`

and receives, for every query of every engine run,

    W/results/<engine>/<id>.json    {"columns": [...], "rows": [[key, true, null, ...], ...]}
                                    or {"error": "<the engine's message>"}

Rows are written in the order the engine returned them. Every engine runs in a
non-UTC session time zone, so a generated statement that depends on the session
zone gives a different answer than the evaluator:

    duckdb      SET TimeZone = 'Asia/Kathmandu' (+05:45), table loaded once
                from read_parquet
    postgres    a throw-away cluster (initdb in a temp dir, Unix socket in that
                dir only, fsync off), TimeZone 'America/St_Johns' (-03:30 /
                -02:30), profiles copied in with faithful PostgreSQL types;
                always stopped and removed at the end, also on error or Ctrl-C
    datafusion  SessionContext with datafusion.execution.time_zone =
                'Asia/Kathmandu', the Parquet file registered as `profiles`
    spark       pyspark in local mode (Java 17 or later), spark.sql.session.timeZone
                'America/St_Johns', the Parquet file as the temp view `profiles`;
                ANSI mode as SEG_SPARK_ANSI says (`true` or `false`; unset keeps
                the installed Spark's default), read back from the session

Without --engines, the first three run (Spark is slow to start and large to
install; it runs when named).

Exit status: 0 when the harness worked (queries may have failed: their files
hold the error), 2 on a setup failure (an engine missing, the server not
starting, the table not loading), 130 when interrupted.
"""
import argparse
import datetime
import decimal
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ENGINES = ("duckdb", "postgres", "datafusion")
# Every engine this harness can run; `spark` only when named with --engines.
KNOWN_ENGINES = ENGINES + ("spark",)
DUCKDB_TZ = "Asia/Kathmandu"
POSTGRES_TZ = "America/St_Johns"
DATAFUSION_TZ = "Asia/Kathmandu"
SPARK_TZ = "America/St_Johns"
# A statement running longer than this is stopped and recorded as an error.
QUERY_TIMEOUT_S = 60
# Only names the socket file (.s.PGSQL.<port>) in our own temp dir; no TCP listener.
PG_PORT = 5432


class SetupError(Exception):
    """The harness could not prepare an engine; the message says why."""


def log(msg):
    print(f"engines.py: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results


def to_json_value(v):
    """A value an engine returned, as plain JSON (bool before int: bool is an int)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return str(v)
        if v == v.to_integral_value():
            return int(v)
        return float(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return [to_json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json_value(x) for k, x in v.items()}
    # numpy scalars and the like
    item = getattr(v, "item", None)
    if callable(item):
        return to_json_value(item())
    return str(v)


def write_result(path, columns=None, rows=None, error=None):
    if error is not None:
        doc = {"error": error}
    else:
        doc = {"columns": list(columns),
               "rows": [[to_json_value(v) for v in row] for row in rows]}
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def queries_for(work, dialect):
    d = work / "queries" / dialect
    if not d.is_dir():
        return []
    return sorted((p.stem, p.read_text(encoding="utf-8")) for p in d.glob("*.sql"))


def fresh_results_dir(work, engine):
    d = work / "results" / engine
    d.mkdir(parents=True, exist_ok=True)
    for p in d.glob("*.json"):
        p.unlink()
    return d


def error_text(e):
    msg = str(e).strip()
    return msg if msg else type(e).__name__


def run_all(engine, work, queries, run_one):
    """Runs every query through run_one(sql) -> (columns, rows); one failure stops nothing."""
    out = fresh_results_dir(work, engine)
    failed = 0
    started = time.monotonic()
    for qid, sql in queries:
        try:
            columns, rows = run_one(sql)
        except KeyboardInterrupt:
            raise
        except Exception as e:  # the engine's error is the result
            failed += 1
            write_result(out / f"{qid}.json", error=error_text(e))
        else:
            write_result(out / f"{qid}.json", columns, rows)
    took = time.monotonic() - started
    log(f"{engine}: {len(queries)} queries in {took:.2f}s, {failed} failed")


# ---------------------------------------------------------------- DuckDB


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def run_duckdb(work, queries):
    try:
        import duckdb
    except ImportError as e:
        raise SetupError(f"duckdb: the Python package is missing ({e}); pip install duckdb")
    try:
        con = duckdb.connect(":memory:")
        con.execute(f"SET TimeZone = {sql_string(DUCKDB_TZ)}")
        got = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
        if got != DUCKDB_TZ:
            raise SetupError(f"duckdb: TimeZone is {got!r} after SET, not {DUCKDB_TZ!r}")
        parquet = str((work / "profiles.parquet").resolve())
        con.execute(f"CREATE TABLE profiles AS SELECT * FROM read_parquet({sql_string(parquet)})")
    except SetupError:
        raise
    except Exception as e:
        raise SetupError(f"duckdb: setup failed: {error_text(e)}")

    def run_one(sql):
        timer = threading.Timer(QUERY_TIMEOUT_S, con.interrupt)
        timer.start()
        try:
            cur = con.execute(sql)
            rows = cur.fetchall()
        finally:
            timer.cancel()
        return [d[0] for d in cur.description], rows

    try:
        run_all("duckdb", work, queries, run_one)
    finally:
        con.close()


# ---------------------------------------------------------------- DataFusion


def run_datafusion(work, queries):
    try:
        from datafusion import SessionConfig, SessionContext
    except ImportError as e:
        raise SetupError(f"datafusion: the Python package is missing ({e}); pip install datafusion")
    try:
        config = SessionConfig().set("datafusion.execution.time_zone", DATAFUSION_TZ)
        ctx = SessionContext(config)
        got = ctx.sql("SELECT arrow_typeof(TIMESTAMPTZ '2000-01-01 00:00:00') AS t").collect()
        got = got[0].column(0)[0].as_py()
        if DATAFUSION_TZ not in got:
            raise SetupError(f"datafusion: the session time zone did not take effect ({got})")
        ctx.register_parquet("profiles", str((work / "profiles.parquet").resolve()))
        ctx.sql("SELECT count(*) FROM profiles").collect()
    except SetupError:
        raise
    except Exception as e:
        raise SetupError(f"datafusion: setup failed: {error_text(e)}")

    def run_one(sql):
        df = ctx.sql(sql)
        batches = df.collect()
        columns = list(df.schema().names)
        rows = []
        for b in batches:
            cols = []
            for c in b.columns:
                try:
                    cols.append(c.to_pylist())
                except Exception:  # e.g. nanosecond timestamps beyond datetime
                    cols.append([None if not x.is_valid else str(x) for x in c])
            rows.extend(zip(*cols))
        return columns, rows

    run_all("datafusion", work, queries, run_one)


# ---------------------------------------------------------------- PostgreSQL

# Arrow -> PostgreSQL: the value's text in COPY's text format is computed here,
# with integer arithmetic for dates and timestamps (any year PostgreSQL has).


def civil_from_days(z):
    """(year, month, day) of day z after 1970-01-01, proleptic Gregorian (Hinnant)."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def pg_date_text(days):
    y, m, d = civil_from_days(days)
    if y <= 0:  # astronomical year 0 is 1 BC
        return f"{1 - y:04d}-{m:02d}-{d:02d} BC"
    return f"{y:04d}-{m:02d}-{d:02d}"


def pg_timestamp_text(micros, zoned):
    days, rest = divmod(micros, 86_400_000_000)
    secs, us = divmod(rest, 1_000_000)
    hh, rem = divmod(secs, 3600)
    mi, ss = divmod(rem, 60)
    y, m, d = civil_from_days(days)
    bc = y <= 0
    if bc:
        y = 1 - y
    text = f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mi:02d}:{ss:02d}.{us:06d}"
    if zoned:
        text += "+00"
    return text + (" BC" if bc else "")


def pg_float_text(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)  # shortest round-trip; PostgreSQL >= 12 reads it exactly


def pg_type(t):
    """The PostgreSQL type faithful to Arrow type t."""
    import pyarrow.types as pt
    if pt.is_boolean(t):
        return "boolean"
    if pt.is_int8(t) or pt.is_int16(t) or pt.is_uint8(t):
        return "smallint"
    if pt.is_int32(t) or pt.is_uint16(t):
        return "integer"
    if pt.is_int64(t) or pt.is_uint32(t):
        return "bigint"
    if pt.is_uint64(t):
        return "numeric(20,0)"
    if pt.is_float16(t) or pt.is_float32(t):
        return "real"
    if pt.is_float64(t):
        return "double precision"
    if pt.is_decimal(t):
        return f"numeric({t.precision},{t.scale})"
    if pt.is_string(t) or pt.is_large_string(t) or getattr(pt, "is_string_view", lambda _: False)(t):
        return "text"
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_fixed_size_binary(t):
        return "bytea"
    if pt.is_date32(t) or pt.is_date64(t):
        return "date"
    if pt.is_timestamp(t):
        return "timestamptz" if t.tz is not None else "timestamp"
    if pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t):
        inner = pg_type(t.value_type)
        if inner.endswith("[]"):
            raise SetupError(f"postgres: nested list type {t} has no faithful PostgreSQL column")
        return inner + "[]"
    if pt.is_dictionary(t):
        return pg_type(t.value_type)
    if pt.is_struct(t):
        # A record of an event history: a composite type, created before the
        # table (PG_COMPOSITES), one per distinct struct type.
        fields = ", ".join(f"{quote_ident(t.field(i).name)} {pg_type(t.field(i).type)}"
                           for i in range(t.num_fields))
        for name, existing in PG_COMPOSITES:
            if existing == fields:
                return name
        name = f"seg_record_type_{len(PG_COMPOSITES)}"
        PG_COMPOSITES.append((name, fields))
        return name
    raise SetupError(f"postgres: no PostgreSQL type for Arrow type {t}")


# The composite types pg_type made for struct columns: (name, field list).
PG_COMPOSITES = []


def pg_composite_text(texts):
    """A composite value's input text from its fields' texts (None for a missing
    field): `(a,"b c",)`, every present field quoted so that an empty string is
    not read as missing."""
    parts = []
    for v in texts:
        if v is None:
            parts.append("")
        else:
            parts.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "(" + ",".join(parts) + ")"


def pg_texts(arr):
    """The text of every value of a pyarrow Array for PostgreSQL's input, None for null."""
    import pyarrow as pa
    import pyarrow.types as pt
    t = arr.type
    if pt.is_dictionary(t):
        return pg_texts(arr.dictionary_decode())
    valid = arr.is_valid().to_pylist()
    if pt.is_boolean(t):
        vals = ["t" if v else "f" for v in arr.fill_null(False).to_pylist()]
    elif pt.is_integer(t):
        vals = [str(v) for v in arr.fill_null(0).to_pylist()]
    elif pt.is_floating(t):
        vals = [pg_float_text(v) for v in arr.cast(pa.float64()).fill_null(0.0).to_pylist()]
    elif pt.is_decimal(t):
        vals = [None if v is None else format(v, "f") for v in arr.to_pylist()]
    elif pt.is_string(t) or pt.is_large_string(t) or getattr(pt, "is_string_view", lambda _: False)(t):
        vals = arr.to_pylist()
    elif pt.is_binary(t) or pt.is_large_binary(t) or pt.is_fixed_size_binary(t):
        vals = [None if v is None else "\\x" + v.hex() for v in arr.to_pylist()]
    elif pt.is_date32(t):
        vals = [pg_date_text(v) for v in arr.cast(pa.int32()).fill_null(0).to_pylist()]
    elif pt.is_date64(t):
        vals = [pg_date_text(v // 86_400_000) for v in arr.cast(pa.int64()).fill_null(0).to_pylist()]
    elif pt.is_timestamp(t):
        per_us = {"s": (1_000_000, 1), "ms": (1000, 1), "us": (1, 1), "ns": (1, 1000)}[t.unit]
        mul, div = per_us
        # ns: PostgreSQL keeps microseconds; floor division is what a cast would round to
        vals = [pg_timestamp_text(v * mul // div, t.tz is not None)
                for v in arr.cast(pa.int64()).fill_null(0).to_pylist()]
    elif pt.is_struct(t):
        children = [pg_texts(arr.field(i)) for i in range(t.num_fields)]
        vals = [pg_composite_text([c[r] for c in children]) for r in range(len(arr))]
    elif pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t):
        if pt.is_fixed_size_list(t):
            n = t.list_size
            offsets = [arr.offset * n + i * n for i in range(len(arr) + 1)]
            inner = pg_texts(arr.values)
        else:
            offsets = arr.offsets.to_pylist()
            inner = pg_texts(arr.values)
        vals = []
        for i in range(len(arr)):
            parts = []
            for e in inner[offsets[i]:offsets[i + 1]]:
                if e is None:
                    parts.append("NULL")
                else:
                    parts.append('"' + e.replace("\\", "\\\\").replace('"', '\\"') + '"')
            vals.append("{" + ",".join(parts) + "}")
    else:
        raise SetupError(f"postgres: cannot load Arrow type {t}")
    return [v if ok else None for v, ok in zip(vals, valid)]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_field(v):
    return "\\N" if v is None else v.translate(_COPY_ESCAPES)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


class PostgresServer:
    """A throw-away cluster in a temp dir, listening only on a Unix socket there."""

    def __init__(self):
        self.tmp = None
        self.data = None
        self.bin = None
        self.as_postgres = os.geteuid() == 0
        self.started = False

    def _bin_dir(self):
        explicit = os.environ.get("SEG_PG_BIN")
        candidates = [Path(explicit)] if explicit else sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True)
        for c in candidates:
            if (c / "initdb").exists() and (c / "pg_ctl").exists():
                return c
        raise SetupError("postgres: no server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
                         " (apt-get install postgresql, or set SEG_PG_BIN)")

    def _run(self, args, what):
        kw = {}
        if self.as_postgres:
            kw["user"] = "postgres"
            kw["group"] = "postgres"
            kw["extra_groups"] = []
        # PG* variables of the caller (PGDATA, PGPORT, ...) must not steer our cluster
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")
        if self.as_postgres:
            env["HOME"] = self.tmp
        p = subprocess.run(args, cwd=self.tmp, env=env, capture_output=True, text=True,
                           start_new_session=True, **kw)
        if p.returncode != 0:
            detail = (p.stdout + p.stderr).strip()
            logfile = Path(self.tmp) / "server.log"
            if logfile.exists():
                detail += "\n--- server.log ---\n" + logfile.read_text(errors="replace")[-3000:]
            raise SetupError(f"postgres: {what} failed (exit {p.returncode}):\n{detail}")
        return p

    def start(self):
        self.bin = self._bin_dir()
        if self.as_postgres:
            import pwd
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise SetupError("postgres: running as root but there is no `postgres` OS user")
        base = None if len(tempfile.gettempdir()) < 60 else "/tmp"
        self.tmp = tempfile.mkdtemp(prefix="seg-pg-", dir=base)
        if self.as_postgres:
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
        os.chmod(self.tmp, 0o700)
        self.data = os.path.join(self.tmp, "data")
        self._run([str(self.bin / "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], "initdb")
        # The settings go into the cluster's own configuration; the same as
        # postgres -c listen_addresses='' -k DIR -c fsync=off ...
        with open(os.path.join(self.data, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write("\n# seg tests/sql/engines.py\n"
                    "listen_addresses = ''\n"
                    f"unix_socket_directories = '{self.tmp}'\n"
                    f"port = {PG_PORT}\n"
                    "fsync = off\n"
                    "synchronous_commit = off\n"
                    "full_page_writes = off\n"
                    f"timezone = '{POSTGRES_TZ}'\n"
                    f"statement_timeout = '{QUERY_TIMEOUT_S}s'\n"
                    "max_connections = 10\n")
        self.started = True  # from here on, stop() tries
        self._run([str(self.bin / "pg_ctl"), "-D", self.data, "-l",
                   os.path.join(self.tmp, "server.log"), "-w", "-t", "60", "start"], "pg_ctl start")

    def stop(self):
        if self.tmp is None:
            return
        try:
            if self.started:
                try:
                    self._run([str(self.bin / "pg_ctl"), "-D", self.data, "-m", "immediate",
                               "-w", "-t", "30", "stop"], "pg_ctl stop")
                except Exception as e:
                    pid_file = os.path.join(self.data, "postmaster.pid")
                    if os.path.exists(pid_file):
                        try:
                            pid = int(open(pid_file).readline().strip())
                            os.kill(pid, signal.SIGKILL)
                            log(f"postgres: pg_ctl stop failed, killed postmaster {pid}")
                        except (ValueError, OSError):
                            log(f"postgres: could not stop the server: {e}")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def connect(self):
        import psycopg
        return psycopg.connect(host=self.tmp, port=PG_PORT, dbname="postgres", user="postgres",
                               client_encoding="UTF8", autocommit=True,
                               options=f"-c TimeZone={POSTGRES_TZ}")


def load_postgres(conn, parquet):
    import pyarrow.parquet as pq
    table = pq.read_table(parquet)
    PG_COMPOSITES.clear()
    cols = [(f.name, pg_type(f.type)) for f in table.schema]
    ddl = ", ".join(f"{quote_ident(n)} {t}" for n, t in cols)
    with conn.cursor() as cur:
        for name, fields in PG_COMPOSITES:
            cur.execute(f"CREATE TYPE {name} AS ({fields})")
        cur.execute(f"CREATE TABLE profiles ({ddl})")
        names = ", ".join(quote_ident(n) for n, _ in cols)
        columns = [pg_texts(table.column(i).combine_chunks()) if table.num_rows else []
                   for i in range(table.num_columns)]
        with cur.copy(f"COPY profiles ({names}) FROM STDIN") as copy:
            chunk = []
            for r in range(table.num_rows):
                chunk.append("\t".join(copy_field(c[r]) for c in columns) + "\n")
                if len(chunk) >= 2000:
                    copy.write("".join(chunk).encode("utf-8"))
                    chunk = []
            if chunk:
                copy.write("".join(chunk).encode("utf-8"))
        cur.execute("ANALYZE profiles")
        cur.execute("SELECT count(*) FROM profiles")
        n = cur.fetchone()[0]
        if n != table.num_rows:
            raise SetupError(f"postgres: loaded {n} rows, the file has {table.num_rows}")


def run_postgres(work, queries):
    try:
        import psycopg  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        raise SetupError(f"postgres: a Python package is missing ({e});"
                         ' pip install "psycopg[binary]" pyarrow')
    server = PostgresServer()
    try:
        server.start()
        try:
            conn = server.connect()
        except Exception as e:
            raise SetupError(f"postgres: cannot connect: {error_text(e)}")
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW TimeZone")
                got = cur.fetchone()[0]
            if got != POSTGRES_TZ:
                raise SetupError(f"postgres: TimeZone is {got!r}, not {POSTGRES_TZ!r}")
            try:
                load_postgres(conn, work / "profiles.parquet")
            except SetupError:
                raise
            except Exception as e:
                raise SetupError(f"postgres: loading profiles.parquet failed: {error_text(e)}")

            def run_one(sql):
                with conn.cursor() as cur:
                    cur.execute(sql)
                    columns = [d.name for d in cur.description]
                    return columns, cur.fetchall()

            run_all("postgres", work, queries, run_one)
        finally:
            conn.close()
    finally:
        server.stop()


# ---------------------------------------------------------------- Spark


def run_spark(work, queries):
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise SetupError(f"spark: the Python package is missing ({e}); pip install pyspark")
    ansi = os.environ.get("SEG_SPARK_ANSI")
    if ansi not in (None, "true", "false"):
        raise SetupError(f"spark: SEG_SPARK_ANSI is {ansi!r}, not `true` or `false`")
    # The JVM binds to the loopback interface only, and says nothing about it.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = None
    try:
        builder = (SparkSession.builder.master("local[2]").appName("seg-engines")
                   .config("spark.sql.session.timeZone", SPARK_TZ)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   # One small file: no broadcast or adaptive planning to wait for.
                   .config("spark.sql.adaptive.enabled", "false")
                   .config("spark.driver.memory", "1g")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
        if ansi is not None:
            builder = builder.config("spark.sql.ansi.enabled", ansi)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        got = spark.conf.get("spark.sql.session.timeZone")
        if got != SPARK_TZ:
            raise SetupError(f"spark: the session time zone is {got!r}, not {SPARK_TZ!r}")
        log(f"spark {spark.version}: spark.sql.ansi.enabled = "
            f"{spark.conf.get('spark.sql.ansi.enabled')}, time zone {got}")
        parquet = str((work / "profiles.parquet").resolve())
        spark.read.parquet(parquet).createOrReplaceTempView("profiles")
        # Cached: every query reads the same 600 rows, and the scan would
        # otherwise be planned and read anew each time.
        spark.sql("CACHE TABLE profiles")
        spark.sql("SELECT count(*) FROM profiles").collect()
    except SetupError:
        if spark is not None:
            spark.stop()
        raise
    except Exception as e:
        if spark is not None:
            spark.stop()
        raise SetupError(f"spark: setup failed: {error_text(e)}")

    def run_one(sql):
        df = spark.sql(sql)
        rows = [tuple(r) for r in df.collect()]
        return list(df.columns), rows

    try:
        run_all("spark", work, queries, run_one)
    finally:
        spark.stop()


# ---------------------------------------------------------------- main

RUNNERS = {"duckdb": run_duckdb, "postgres": run_postgres, "datafusion": run_datafusion,
           "spark": run_spark}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("work", type=Path, help="the work directory W")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="comma-separated subset of " + ",".join(KNOWN_ENGINES))
    args = ap.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in RUNNERS]
    if unknown:
        log(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(KNOWN_ENGINES)}")
        return 2
    work = args.work
    if not (work / "profiles.parquet").is_file():
        log(f"{work / 'profiles.parquet'} does not exist")
        return 2

    # SIGTERM cleans up like Ctrl-C: the PostgreSQL server is stopped, its dir removed.
    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    status = 0
    try:
        for engine in engines:
            queries = queries_for(work, engine)
            if not queries:
                log(f"{engine}: no queries in {work / 'queries' / engine}")
            try:
                RUNNERS[engine](work, queries)
            except SetupError as e:
                log(str(e))
                status = 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
