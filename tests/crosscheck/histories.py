#!/usr/bin/env python3
"""Cross-checks Seg's event histories against DuckDB.

Every segment of histories.seg has a DuckDB predicate below, written by hand
with DuckDB's list functions (not by seg-sql, which compiles aggregates to
subqueries), with the meaning LANGUAGE.md section 7.1 gives: a missing list is
empty, a missing record (NULL element) counts for nothing, a record counts
when its filter is TRUE, aggregates skip missing values. Both engines count
members at the same as-of instant:

  nested  profiles.parquet with `orders` and `web_events` as list<struct>,
          `seg run --data profiles.parquet` (JIT and evaluator);
  flat    the same events as one row per event (orders.parquet,
          web_events.parquet), `seg run --events orders=... --events
          web_events=...`; DuckDB rebuilds each profile's lists from the flat
          tables by joining on customer_id (a profile without events has an
          empty history, never a missing one).

    python3 histories.py SEG_BINARY DIR     (DIR holds profiles.parquet and events/)

Exit status: 0 when all counts agree, 1 on any mismatch, 2 on a setup error.
"""
import json
import subprocess
import sys
from pathlib import Path

AS_OF = "2026-11-24T00:00:00Z"
TS = "TIMESTAMPTZ '2026-11-24 00:00:00+00'"


def within(days):
    return f"o.at BETWEEN {TS} - INTERVAL {days} DAY AND {TS}"


def records(history, condition="TRUE"):
    """The present records of `history` whose condition is TRUE (never NULL)."""
    return f"list_filter({history}, lambda o: o IS NOT NULL AND coalesce({condition}, false))"


def count(history, condition="TRUE"):
    return f"coalesce(len({records(history, condition)}), 0)"


def values(history, field, condition="TRUE"):
    return f"list_transform({records(history, condition)}, lambda o: o.{field})"


FREQUENT = count("orders", within(30)) + " >= 3"
SHOES_90 = "o.category = 'shoes' AND " + within(90)
CART_1 = "o.name = 'add_to_cart' AND " + within(1)
APP = "o.channel = 'app'"
STORE = "o.channel = 'store'"
SHOES = "o.category = 'shoes'"
SHOE_PAGES = "starts_with(o.page, '/shoes')"

# segment name -> DuckDB predicate
SQL = {
    "frequent_buyers": FREQUENT,
    "big_shoe_spenders": f"list_sum({values('orders', 'amount', SHOES_90)}) > 500",
    "cart_abandoners": f"{count('web_events', CART_1)} > 0 AND {count('orders', within(1))} = 0",
    "cross_category": f"list_unique({values('orders', 'category')}) >= 3",
    "lapsed_buyers": f"floor((epoch_us({TS}) - epoch_us(list_max({values('orders', 'at')})))"
    " / 86400000000) > 180",
    "no_orders": f"{count('orders')} = 0",
    "unknown_amounts": f"{count('orders', 'o.amount IS NULL')} > 0",
    # avg > 40 exactly: the exact sum against 40 times the count of amounts
    # (rounding the mean of cents once to a double cannot cross 40).
    "app_avg": f"list_sum({values('orders', 'amount', APP)})"
    f" > 40 * {count('orders', APP + ' AND o.amount IS NOT NULL')}",
    "small_min": f"list_min({values('orders', 'amount')}) < 10",
    "browsers": f"{count('web_events', SHOE_PAGES)} >= 2",
    # A NaN average would count nothing in Seg; DuckDB's `x > NaN` is false too.
    "above_own_average": f"{count('orders', 'CAST(o.amount AS DOUBLE) > avg_order_value')} > 0",
    "recent_web": f"{count('web_events', within(7))} >= 5",
    "max_category_toys": f"list_max({values('orders', 'category')}) = 'toys'",
    "store_items": f"list_sum({values('orders', 'items', STORE)}) >= 10",
    "every_channel_this_year": f"list_unique({values('orders', 'channel', within(365))}) = 3",
    "early_first_order": f"list_min({values('orders', 'at')}) < TIMESTAMPTZ '2024-01-01 00:00:00+00'",
    "frequent_shoe_buyers": f"({FREQUENT}) AND {count('orders', SHOES)} > 0",
    "any_web": f"{count('web_events')} > 0",
    "missing_orders": "orders IS NULL",
}


def seg_counts(seg, rules, args):
    run = subprocess.run(
        [seg, "run", str(rules), *args, "--as-of", AS_OF, "--summary", "json"],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return None
    return {s["name"]: s["members"] for s in json.loads(run.stdout)["segments"]}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    seg, data = sys.argv[1], Path(sys.argv[2])
    try:
        import duckdb  # noqa: PLC0415
    except ImportError:
        print("duckdb is not installed: pip install duckdb", file=sys.stderr)
        return 2
    rules = Path(__file__).with_name("histories.seg")
    profiles = data / "profiles.parquet"
    orders = data / "events" / "orders.parquet"
    web = data / "events" / "web_events.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW nested AS SELECT * FROM read_parquet('{profiles}')")
    # The lists rebuilt from the flat tables; the struct fields are read by
    # name, so their order does not matter.
    con.execute(
        f"""CREATE VIEW flat AS SELECT p.* REPLACE (
          coalesce((SELECT list(struct_pack(order_id := e.order_id, at := e.at, amount := e.amount,
                      category := e.category, channel := e.channel, items := e.items))
                    FROM read_parquet('{orders}') AS e WHERE e.customer_id = p.customer_id), []) AS orders,
          coalesce((SELECT list(struct_pack(at := e.at, name := e.name, page := e.page))
                    FROM read_parquet('{web}') AS e WHERE e.customer_id = p.customer_id), []) AS web_events)
        FROM read_parquet('{profiles}') AS p"""
    )
    filters = ", ".join(f"count(*) FILTER (WHERE {pred}) AS {name}" for name, pred in SQL.items())
    duck = {}
    for view in ["nested", "flat"]:
        row = con.execute(f"SELECT {filters} FROM {view}").fetchone()
        duck[view] = dict(zip(SQL, row))
    events = ["--events", f"orders={orders}", "--events", f"web_events={web}"]
    runs = [
        ("nested", "jit", ["--data", str(profiles), "--engine", "jit"]),
        ("nested", "interp", ["--data", str(profiles), "--engine", "interp"]),
        ("flat", "jit", ["--data", str(profiles), *events, "--engine", "jit"]),
        ("flat", "interp", ["--data", str(profiles), *events, "--engine", "interp"]),
    ]
    mismatches = 0
    for view, engine, args in runs:
        counts = seg_counts(seg, rules, args)
        if counts is None:
            return 2
        missing = set(SQL) ^ set(counts)
        if missing:
            print(f"segments without a counterpart: {sorted(missing)}", file=sys.stderr)
            return 2
        for name in SQL:
            flag = "ok" if duck[view][name] == counts[name] else "MISMATCH"
            mismatches += flag != "ok"
            print(f"{flag:8} {view:6} {engine:6} {name:24} seg {counts[name]:>7}  duckdb {duck[view][name]:>7}")
    print(f"{len(runs) * len(SQL) - mismatches} passed, {mismatches} failed")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
