#!/usr/bin/env python3
"""The event-history benchmark (language v0.2, LANGUAGE.md section 7.1): data, queries, peers.

    python3 bench/histories.py gen --rows 10000000            # bench/data/histories-10000000/
    python3 bench/histories.py peers bench/data/histories-10000000 --threads 1 --repeat 3 \
        --out bench/results/histories-peers.json

``gen`` writes, for ``--rows`` profiles (seeded, reproducible):

* ``profiles.parquet``: ``customer_id`` (int64 key), ``orders`` and ``web_events`` as
  nested ``list<struct<...>>`` columns (about 8 events of each kind per profile);
* ``orders.parquet`` and ``web_events.parquet``: the same events as flat tables, one row
  per event with the ``customer_id`` column (what ``seg run --events`` attaches);
* ``histories.seg``: the schema and the four queries below as Seg segments.

The data has the corners the semantics decide: 3 % of profiles have a missing (null) list
and 5 % an empty one; 0.5 % of events are null records (absent from the flat tables, which
cannot hold them); 1 % of each event field is null.

The queries (``as_of`` 2026-11-24T00:00:00Z; a record counts when its condition is true):

* ``H1`` count in a window: ``count(orders where at within 30 days) >= 3``
* ``H2`` sum with a category filter:
  ``sum(orders.amount where category == "shoes" and at within 90 days) > 500``
* ``H3`` an any / not-any pair (cart abandoners):
  ``any(web_events where name == "add_to_cart" and at within 1 day)
  and not any(orders where at within 1 day)``
* ``H4`` ``count_distinct(orders.category) >= 3``

``peers`` times each peer in a fresh worker process per engine and thread count, loading
the tables into memory once and reporting the median of ``--repeat`` member counts after
``--warmup`` runs:

* ``duckdb-lists``: DuckDB list functions (``list_filter``, lambdas) on the nested columns;
* ``duckdb-join``: DuckDB over the flat event tables (``GROUP BY customer_id`` joined to
  the profiles, ``IN`` / ``NOT IN`` for H3);
* ``polars-lists``: Polars ``list.eval`` on the nested columns;
* ``polars-join``: Polars ``group_by`` over the flat event tables, joined to the profiles;
* ``datafusion-join``: DataFusion over the flat event tables, as ``duckdb-join``.

Every count must agree across peers; a disagreement prints MISMATCH and exits 1.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

AS_OF = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
AS_OF_US = int(AS_OF.timestamp()) * 1_000_000
DAY_US = 86_400 * 1_000_000
QUERIES = ["H1", "H2", "H3", "H4"]
ENGINES = ["duckdb-lists", "duckdb-join", "polars-lists", "polars-join", "datafusion-join"]

CATEGORIES = ["shoes", "apparel", "beauty", "home", "electronics", "toys", "grocery", "sports"]
CATEGORY_WEIGHTS = [0.16, 0.22, 0.12, 0.12, 0.08, 0.08, 0.14, 0.08]
CHANNELS = ["web", "store", "app"]
EVENT_NAMES = ["page_view", "search", "add_to_cart", "checkout", "purchase"]
EVENT_WEIGHTS = [0.55, 0.2, 0.15, 0.05, 0.05]

# The queries in Seg live once, in bench/histories.seg; the peers' versions
# below must mean the same.
SEG_PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "histories.seg")


def seg_queries():
    """The `where` of each query in bench/histories.seg, by query name."""
    with open(SEG_PROGRAM) as fh:
        text = fh.read()
    found = re.findall(r"segment (h\d) \{\n  where (.*?)\n\}", text, re.S)
    return {name.upper(): where for name, where in found}



# --- data ------------------------------------------------------------------------------


def _strings(rng, values, weights, n):
    import numpy as np
    import pyarrow as pa

    idx = rng.choice(len(values), size=n, p=np.array(weights) / sum(weights)).astype("int32")
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values)).cast(pa.string())


def _null_mask(rng, n, share):
    import pyarrow as pa

    return pa.array(rng.random(n) < share)


def _history(rng, rows, mean, fields):
    """A nested list<struct> column and its flat table (valid records only).

    `fields(n)` returns the struct's children as (name, pyarrow array) pairs for n events."""
    import numpy as np
    import pyarrow as pa

    lengths = rng.poisson(mean, size=rows).astype("int64")
    kind = rng.random(rows)
    missing = kind < 0.03
    lengths[(kind >= 0.03) & (kind < 0.08)] = 0
    lengths[missing] = 0
    offsets = np.zeros(rows + 1, dtype="int32")
    np.cumsum(lengths, out=offsets[1:])
    n = int(offsets[-1])
    children = fields(n)
    null_record = rng.random(n) < 0.005
    struct = pa.StructArray.from_arrays(
        [c for _, c in children], names=[k for k, _ in children], mask=pa.array(null_record)
    )
    nested = pa.ListArray.from_arrays(pa.array(offsets), struct, mask=pa.array(missing))
    owner = np.repeat(np.arange(1, rows + 1, dtype="int64"), lengths)
    keep = ~null_record
    flat = pa.table({"customer_id": pa.array(owner[keep])} | {k: c.filter(pa.array(keep)) for k, c in children})
    return nested, flat


def generate(rows: int, seed: int, out_dir: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    ts_type = pa.timestamp("us", tz="UTC")

    def with_nulls(arr, share=0.01):
        return pa.compute.if_else(_null_mask(rng, len(arr), share), pa.nulls(len(arr), arr.type), arr)

    def order_fields(n):
        # Order times spread over the last 400 days, denser in recent weeks.
        age = np.minimum(rng.exponential(60 * DAY_US, size=n), 400 * DAY_US).astype("int64")
        at = pa.array(AS_OF_US - age, type=pa.int64()).cast(ts_type)
        cents = np.round(rng.lognormal(mean=np.log(45.0), sigma=0.9, size=n) * 100).astype("int64")
        # Decimal128 values are little-endian 128-bit unscaled integers: the cents with
        # their sign extension as the high word.
        words = np.stack([cents, np.where(cents < 0, -1, 0)], axis=1).astype("int64")
        amount = pa.Array.from_buffers(pa.decimal128(12, 2), n, [None, pa.py_buffer(words.tobytes())])
        return [
            ("at", with_nulls(at)),
            ("amount", with_nulls(amount)),
            ("category", with_nulls(_strings(rng, CATEGORIES, CATEGORY_WEIGHTS, n))),
            ("channel", with_nulls(_strings(rng, CHANNELS, [0.5, 0.3, 0.2], n))),
        ]

    def web_fields(n):
        age = np.minimum(rng.exponential(20 * DAY_US, size=n), 400 * DAY_US).astype("int64")
        pages = pa.compute.binary_join_element_wise(
            "/p/", pa.array(rng.integers(1, 5000, size=n)).cast(pa.string()), ""
        )
        return [
            ("name", with_nulls(_strings(rng, EVENT_NAMES, EVENT_WEIGHTS, n))),
            ("at", with_nulls(pa.array(AS_OF_US - age, type=pa.int64()).cast(ts_type))),
            ("page", with_nulls(pages)),
        ]

    orders, orders_flat = _history(rng, rows, 8.0, order_fields)
    web, web_flat = _history(rng, rows, 8.0, web_fields)
    profiles = pa.table(
        {"customer_id": pa.array(np.arange(1, rows + 1, dtype="int64")), "orders": orders, "web_events": web}
    )
    group = 1_000_000
    pq.write_table(profiles, os.path.join(out_dir, "profiles.parquet"), row_group_size=group)
    pq.write_table(orders_flat, os.path.join(out_dir, "orders.parquet"), row_group_size=8 * group)
    pq.write_table(web_flat, os.path.join(out_dir, "web_events.parquet"), row_group_size=8 * group)
    shutil.copyfile(SEG_PROGRAM, os.path.join(out_dir, "histories.seg"))
    print(
        f"{out_dir}: {rows} profiles, {len(orders_flat)} orders, {len(web_flat)} web events",
        file=sys.stderr,
    )


# --- peers -----------------------------------------------------------------------------

TS = "TIMESTAMPTZ '2026-11-24 00:00:00+00'"


def _window(col: str, days: int) -> str:
    return f"{col} BETWEEN {TS} - INTERVAL {days} DAY AND {TS}"


DUCKDB_LISTS = {
    "H1": f"len(list_filter(orders, lambda o: {_window('o.at', 30)})) >= 3",
    "H2": "list_sum(list_transform(list_filter(orders, lambda o: o.category = 'shoes' AND "
    f"{_window('o.at', 90)}), lambda o: o.amount)) > 500",
    "H3": f"coalesce(len(list_filter(web_events, lambda e: e.name = 'add_to_cart' AND {_window('e.at', 1)})), 0) > 0"
    f" AND NOT coalesce(len(list_filter(orders, lambda o: {_window('o.at', 1)})), 0) > 0",
    "H4": "len(list_distinct(list_transform(orders, lambda o: o.category))) >= 3",
}


def join_sql(q: str, dialect: str) -> str:
    """The flat-table form: GROUP BY the key, joined to the profiles."""
    ts = TS if dialect == "duckdb" else "TIMESTAMP '2026-11-24T00:00:00Z'"

    def window(col, days):
        unit = f"INTERVAL {days} DAY" if dialect == "duckdb" else f"INTERVAL '{days} days'"
        return f"{col} BETWEEN {ts} - {unit} AND {ts}"

    # `at` is a keyword in both dialects (`AT TIME ZONE`), so the column is quoted.
    AT = '"at"'  # noqa: N806

    def grouped(table, where, having):
        return (
            f"SELECT count(*) FROM p JOIN (SELECT customer_id FROM {table} WHERE {where} "
            f"GROUP BY customer_id HAVING {having}) g ON p.customer_id = g.customer_id"
        )

    if q == "H1":
        return grouped("orders", window(AT, 30), "count(*) >= 3")
    if q == "H2":
        return grouped("orders", f"category = 'shoes' AND {window(AT, 90)}", "sum(amount) > 500")
    if q == "H3":
        return (
            "SELECT count(*) FROM p WHERE customer_id IN (SELECT customer_id FROM web_events "
            f"WHERE name = 'add_to_cart' AND {window(AT, 1)}) AND customer_id NOT IN "
            f"(SELECT customer_id FROM orders WHERE {window(AT, 1)})"
        )
    if q == "H4":
        return grouped("orders", "category IS NOT NULL", "count(DISTINCT category) >= 3")
    raise ValueError(q)


def polars_expr(q: str):
    import polars as pl

    hi = AS_OF
    el = pl.element()

    def window(days):
        return el.struct.field("at").is_between(hi - dt.timedelta(days=days), hi)

    def count(col, cond):
        return pl.col(col).list.eval(el.filter(cond)).list.len().fill_null(0)

    if q == "H1":
        return count("orders", window(30)) >= 3
    if q == "H2":
        cond = (el.struct.field("category") == "shoes") & window(90)
        sums = pl.col("orders").list.eval(el.filter(cond).struct.field("amount").drop_nulls())
        # An empty selection sums to 0 in Polars; Seg's missing sum is not > 500 either.
        return sums.list.sum() > 500
    if q == "H3":
        cart = (el.struct.field("name") == "add_to_cart") & window(1)
        return (count("web_events", cart) > 0) & ~(count("orders", window(1)) > 0)
    if q == "H4":
        cats = pl.col("orders").list.eval(el.struct.field("category").drop_nulls().unique())
        return cats.list.len().fill_null(0) >= 3
    raise ValueError(q)


def polars_join(q: str, p, orders, web):
    """The flat-table form in Polars: filter, group by the key, join to the profiles."""
    import polars as pl

    def window(days):
        return pl.col("at").is_between(AS_OF - dt.timedelta(days=days), AS_OF)

    def keys(frame, cond, having):
        return frame.lazy().filter(cond).group_by("customer_id").agg(having.alias("ok")).filter(pl.col("ok"))

    def members(lazy_keys):
        return p.lazy().join(lazy_keys, on="customer_id", how="semi").select(pl.len()).collect().item()

    if q == "H1":
        return members(keys(orders, window(30), pl.len() >= 3))
    if q == "H2":
        return members(keys(orders, (pl.col("category") == "shoes") & window(90), pl.col("amount").sum() > 500))
    if q == "H3":
        cart = web.lazy().filter((pl.col("name") == "add_to_cart") & window(1)).select("customer_id")
        recent = orders.lazy().filter(window(1)).select("customer_id")
        lazy = p.lazy().join(cart, on="customer_id", how="semi").join(recent, on="customer_id", how="anti")
        return lazy.select(pl.len()).collect().item()
    if q == "H4":
        return members(keys(orders, pl.col("category").is_not_null(), pl.col("category").n_unique() >= 3))
    raise ValueError(q)


class Engine:
    def __init__(self, name: str, threads: int, data: str):
        self.name, self.threads, self.data = name, threads, data

    def setup(self):
        import pyarrow.parquet as pq

        path = lambda f: os.path.join(self.data, f)  # noqa: E731
        if self.name.startswith("duckdb"):
            import duckdb

            self.version = duckdb.__version__
            self.con = duckdb.connect()
            self.con.execute(f"SET threads TO {self.threads}")
            self.con.execute("SET TimeZone = 'UTC'")
            if self.name == "duckdb-lists":
                self.con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path('profiles.parquet')}')")
            else:
                self.con.execute(f"CREATE TABLE p AS SELECT customer_id FROM read_parquet('{path('profiles.parquet')}')")
                for t in ("orders", "web_events"):
                    self.con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{path(t + '.parquet')}')")
        elif self.name == "polars-lists":
            import polars as pl

            self.version = pl.__version__
            if pl.thread_pool_size() != self.threads:
                raise RuntimeError(f"polars thread pool is {pl.thread_pool_size()}, wanted {self.threads}")
            self.df = pl.from_arrow(pq.read_table(path("profiles.parquet"))).rechunk()
        elif self.name == "polars-join":
            import polars as pl

            self.version = pl.__version__
            if pl.thread_pool_size() != self.threads:
                raise RuntimeError(f"polars thread pool is {pl.thread_pool_size()}, wanted {self.threads}")
            self.p = pl.from_arrow(pq.read_table(path("profiles.parquet"), columns=["customer_id"])).rechunk()
            self.orders = pl.from_arrow(pq.read_table(path("orders.parquet"))).rechunk()
            self.web = pl.from_arrow(pq.read_table(path("web_events.parquet"))).rechunk()
        elif self.name == "datafusion-join":
            import datafusion

            self.version = datafusion.__version__
            config = datafusion.SessionConfig().with_target_partitions(self.threads)
            self.ctx = datafusion.SessionContext(config)
            for t, f, cols in (("p", "profiles.parquet", ["customer_id"]), ("orders", "orders.parquet", None),
                               ("web_events", "web_events.parquet", None)):
                batches = pq.read_table(path(f), columns=cols).to_batches()
                parts = [batches[i :: self.threads] for i in range(self.threads)]
                self.ctx.register_record_batches(t, [b for b in parts if b] or [[]])
        else:
            raise ValueError(self.name)

    def query(self, q: str):
        if self.name == "duckdb-lists":
            sql = f"SELECT count(*) FROM t WHERE {DUCKDB_LISTS[q]}"
            return lambda: self.con.sql(sql).fetchall()[0][0]
        if self.name == "duckdb-join":
            sql = join_sql(q, "duckdb")
            return lambda: self.con.sql(sql).fetchall()[0][0]
        if self.name == "polars-lists":
            import polars as pl

            e = polars_expr(q)
            return lambda: self.df.lazy().filter(e).select(pl.len()).collect().item()
        if self.name == "polars-join":
            return lambda: polars_join(q, self.p, self.orders, self.web)
        if self.name == "datafusion-join":
            sql = join_sql(q, "datafusion")

            def run():
                batches = self.ctx.sql(sql).collect()
                return next(b for b in batches if b.num_rows).column(0)[0].as_py()

            return run
        raise ValueError(self.name)


def worker(args) -> None:
    if args.engine.startswith("polars"):
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
    engine = Engine(args.engine, args.threads, args.data)
    t0 = time.perf_counter()
    engine.setup()
    load_s = time.perf_counter() - t0
    out = {"engine": args.engine, "threads": args.threads, "version": engine.version, "load_s": load_s, "queries": {}}
    for q in args.queries.split(","):
        run = engine.query(q)
        for _ in range(args.warmup):
            count = run()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            count = run()
            times.append(time.perf_counter() - t0)
        out["queries"][q] = {"count": int(count), "median_s": statistics.median(times), "runs_s": times}
        print(f"  {args.engine:16} t={args.threads} {q}: {count:>10} {statistics.median(times) * 1000:9.1f} ms",
              file=sys.stderr)
    with open(args.result, "w") as fh:
        json.dump(out, fh)


def peers(args) -> int:
    rows = None
    try:
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(os.path.join(args.data, "profiles.parquet")).metadata.num_rows
    except Exception as exc:  # noqa: BLE001 (a readable message, not a traceback)
        print(f"histories.py: cannot read {args.data}/profiles.parquet: {exc}", file=sys.stderr)
        return 2
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for engine in args.engines.split(","):
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
                result = tmp.name
            env = dict(os.environ)
            if engine.startswith("polars"):
                env["POLARS_MAX_THREADS"] = str(threads)
            cmd = [sys.executable, os.path.abspath(__file__), "worker", "--engine", engine, "--threads",
                   str(threads), "--data", args.data, "--queries", args.queries, "--repeat", str(args.repeat),
                   "--warmup", str(args.warmup), "--result", result]
            done = subprocess.run(cmd, env=env)
            if done.returncode != 0:
                print(f"histories.py: {engine} at {threads} thread(s) failed (exit {done.returncode})",
                      file=sys.stderr)
                return 2
            with open(result) as fh:
                results.append(json.load(fh))
            os.unlink(result)
    mismatch = False
    for q in args.queries.split(","):
        counts = {(r["engine"], r["threads"]): r["queries"][q]["count"] for r in results}
        if len(set(counts.values())) > 1:
            mismatch = True
            print(f"MISMATCH on {q}: {counts}", file=sys.stderr)
    doc = {
        "kind": "histories-peers",
        "rows": rows,
        "as_of": AS_OF.isoformat(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "seg_queries": seg_queries(),
        "results": results,
        "mismatch": mismatch,
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(doc, fh, indent=1)
    return 1 if mismatch else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="generate the profiles, the flat event tables and the .seg queries")
    g.add_argument("--rows", type=int, default=1_000_000)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--out", default=None, help="directory (default bench/data/histories-ROWS)")
    p = sub.add_parser("peers", help="time the peers on the four queries")
    p.add_argument("data", help="a directory written by `gen`")
    p.add_argument("--engines", default=",".join(ENGINES))
    p.add_argument("--threads", default="1")
    p.add_argument("--queries", default=",".join(QUERIES))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--out", default=None, help="JSON results path")
    w = sub.add_parser("worker", help=argparse.SUPPRESS)
    w.add_argument("--engine", required=True)
    w.add_argument("--threads", type=int, required=True)
    w.add_argument("--data", required=True)
    w.add_argument("--queries", required=True)
    w.add_argument("--repeat", type=int, required=True)
    w.add_argument("--warmup", type=int, required=True)
    w.add_argument("--result", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "gen":
        out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", f"histories-{args.rows}")
        generate(args.rows, args.seed, out)
        return 0
    if args.cmd == "peers":
        return peers(args)
    worker(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
