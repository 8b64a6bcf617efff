#!/usr/bin/env python3
"""The 107 segments of examples/*.seg (bench/examples.seg) as SQL for DuckDB and
DataFusion: the peers' side of the "realistic workload" comparison.

    python3 bench/examples_sql.py check SEG DATA.parquet      # every count equals Seg's
    python3 bench/examples_sql.py time DATA.parquet [--threads 1,2] [--repeat 5]
                                      [--engines duckdb,datafusion] [--out X.json]
    python3 bench/examples_sql.py sql [--dialect duckdb]      # print the SELECT

How the translation keeps Seg's meaning (docs/semantics.md; the style of
tests/crosscheck/crosscheck.py):

* A segment's membership is `coalesce(WHERE, false) AND NOT coalesce(EXCLUDE, false)`:
  a row counts when `where` is true and `exclude` is not true (an unknown exclude
  removes nobody). A segment reference (`$name` below) is that membership, never
  NULL, expanded inline, so one SELECT computes all 107 in one pass.
* SQL's NULL logic is Kleene's, as Seg's; `x / y` is `x / NULLIF(y, 0)` (division
  by zero is missing in Seg) and is done in DOUBLE.
* `churn_score` is float32: Seg widens it to f64 before comparing or computing, so
  it is cast to DOUBLE (DuckDB would otherwise compare `0.7` as a float32).
* Params are their defaults. Relative time is folded here at the as-of instant
  2026-11-24T00:00:00Z (today = 2026-11-24): against a timestamp, days and hours are
  fixed lengths and months and years calendar steps; against a date, calendar steps
  from today. `within D` is inclusive at both ends, `before`/`after` are strict, a
  date against a timestamp is midnight UTC, `days_since(t)` is
  floor((as_of - t) / 24 h).
* Lists: `contains` is list_contains (a missing list is unknown, an empty one false),
  `contains any/all` the OR/AND of those tests, `contains none` and `not contains` the
  NOT of `contains any`; `size` (len) counts every element.
* Decimals (`total_spend_12m`, decimal(12, 2)) compare with exact DECIMAL literals.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time

AS_OF = "2026-11-24T00:00:00Z"
NOW = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
TODAY = NOW.date()


def months_back(d, n):
    """Calendar step back by n months, clamped to the month's end (Seg's rule)."""
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    m += 1
    last = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return d.replace(year=y, month=m, day=min(d.day, last))


class DuckDB:
    name = "duckdb"

    def ts(self, t: dt.datetime) -> str:
        return f"TIMESTAMPTZ '{t.strftime('%Y-%m-%d %H:%M:%S')}+00'"

    def date(self, d: dt.date) -> str:
        return f"DATE '{d.isoformat()}'"

    def date_ts(self, col):  # a date compared with a timestamp: midnight UTC
        return f"CAST({col} AS TIMESTAMPTZ)"

    def days_since(self, col):
        return f"floor((epoch_us({self.ts(NOW)}) - epoch_us({col})) / 86400000000.0)"

    def has(self, col, v):
        return f"list_contains({col}, '{v}')"

    # `contains any/all` as OR/AND of single tests: the same Kleene result (a missing list
    # is unknown either way; the lists hold no NULL elements) and, on DuckDB 2.0, about 3x
    # faster than list_has_any / list_has_all, so the peer is not handicapped.
    def has_any(self, col, vs):
        return "(" + " OR ".join(self.has(col, v) for v in vs) + ")"

    def has_all(self, col, vs):
        return "(" + " AND ".join(self.has(col, v) for v in vs) + ")"

    def size(self, col):
        return f"len({col})"

    def matches(self, col, pattern):
        return f"regexp_matches({col}, '{pattern}')"

    def starts(self, col, s):
        return f"starts_with({col}, '{s}')"

    def ends(self, col, s):
        return f"suffix({col}, '{s}')"

    def contains(self, col, s):
        return f"contains({col}, '{s}')"

    def length(self, col):
        return f"length({col})"

    def part(self, unit, col):
        return f"{unit}({col})"

    def f64(self, col):
        return f"CAST({col} AS DOUBLE)"

    def dec(self, lit):
        return f"CAST({lit} AS DECIMAL(18, 2))"


class DataFusion(DuckDB):
    name = "datafusion"

    def ts(self, t):
        return f"arrow_cast('{t.strftime('%Y-%m-%dT%H:%M:%S')}Z', 'Timestamp(Microsecond, Some(\"UTC\"))')"

    def date_ts(self, col):
        return f"arrow_cast({col}, 'Timestamp(Microsecond, Some(\"UTC\"))')"

    def days_since(self, col):
        return (f"floor((arrow_cast({self.ts(NOW)}, 'Int64') - arrow_cast({col}, 'Int64'))"
                " / 86400000000.0)")

    def has(self, col, v):
        return f"array_has({col}, '{v}')"

    def size(self, col):
        return f"cardinality({col})"

    def matches(self, col, pattern):
        return f"regexp_like({col}, '{pattern}')"

    def ends(self, col, s):
        return f"ends_with({col}, '{s}')"

    def contains(self, col, s):
        return f"(strpos({col}, '{s}') > 0)"

    def length(self, col):
        return f"character_length({col})"

    def part(self, unit, col):
        return f"date_part('{unit}', {col})"


def segments(d) -> dict:
    """segment name -> (where, exclude or None); `$name` is a segment reference."""
    ts, date = d.ts, d.date
    days = dt.timedelta(days=1)
    churn = d.f64("churn_score")
    per_order = "lifetime_value / NULLIF(total_orders, 0)"
    lp = "last_purchase_at"
    return {
        # --- behavior.seg (params: active_days = 90, frequent_orders = 10, high_aov = 150.0)
        "recent_buyers": (f"{lp} BETWEEN {ts(NOW - 30 * days)} AND {ts(NOW)}", None),
        "just_purchased": (f"{lp} BETWEEN {ts(NOW - dt.timedelta(hours=48))} AND {ts(NOW)}", None),
        "active_window_buyers": (f"{d.days_since(lp)} BETWEEN 0 AND 90", None),
        "bought_since_2025": (f"{lp} > {ts(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))}", None),
        "never_purchased": ("total_orders = 0", None),
        "one_time_buyers": ("total_orders = 1", None),
        "repeat_buyers": ("total_orders >= 2", None),
        "frequent_buyers": ("total_orders >= 10", None),
        "high_aov_buyers": ("avg_order_value >= 150.0", None),
        "rfm_champions": ("$recent_buyers AND $frequent_buyers AND lifetime_value >= 2000", None),
        "bought_this_year": (f"{d.part('year', lp)} = {NOW.year}", None),
        "holiday_shoppers": (f"{d.part('month', lp)} IN (11, 12)", None),
        "payday_shoppers": (f"{d.part('day', lp)} >= 28 OR {d.part('day', lp)} <= 2", None),
        "promoters": ("nps >= 9", None),
        "passives": ("nps BETWEEN 7 AND 8", None),
        "detractors": ("nps <= 6", None),
        # --- data_quality.seg
        "us_state_missing": ("country = 'US' AND state IS NULL", None),
        "foreign_with_state": ("country <> 'US' AND state IS NOT NULL", None),
        "malformed_state": (f"NOT {d.matches('state', '^[A-Z]{2}$')}", None),
        "city_stray_characters": (d.matches("city", r"^\s|\s$|\d"), None),
        "city_too_short": (f"{d.length('city')} <= 2", None),
        "quoted_city": (d.starts("city", '"') + " AND " + d.ends("city", '"'), None),
        "age_outliers": ("NOT (age BETWEEN 13 AND 110)", None),
        "nps_out_of_range": ("nps < 0 OR nps > 10", None),
        "future_purchase_dates": (f"{d.days_since(lp)} < -1", None),
        "signup_in_future": (f"signup_date > {date(TODAY)}", None),
        "signup_before_launch": (f"signup_date < {date(dt.date(2014, 1, 1))}", None),
        "orders_without_date": (f"total_orders > 0 AND {lp} IS NULL", None),
        "purchase_before_signup": (f"{lp} < {d.date_ts('signup_date')}", None),
        "aov_mismatch": (f"abs({per_order} - avg_order_value) > 0.5 * avg_order_value", None),
        # --- demographics.seg (params: gen_z_max_age = 29, senior_age = 62)
        "gen_z": ("age BETWEEN 18 AND 29", None),
        "millennials": ("age BETWEEN 30 AND 45", None),
        "gen_x": ("age BETWEEN 46 AND 61", None),
        "boomers": ("age >= 62", None),
        "age_unknown": ("age IS NULL", None),
        "women_25_54": ("gender = 'female' AND age BETWEEN 25 AND 54", None),
        "men_outside_core_ages": ("gender = 'male' AND NOT (age BETWEEN 25 AND 54)", None),
        "gender_beyond_binary": ("gender NOT IN ('female', 'male')", None),
        "mobile_app_users": ("device IN ('ios', 'android')", None),
        "web_shoppers": ("device = 'web'", None),
        "ios_millennials": ("$millennials AND device = 'ios'", None),
        "android_gen_z": ("$gen_z AND device = 'android'", None),
        # --- geography.seg (params: home_market = "US", west_states, dach_countries)
        "domestic": ("country = 'US'", None),
        "international": ("country <> 'US'", None),
        "west_coast": ("country = 'US' AND state IN ('CA', 'OR', 'WA')", None),
        "sun_belt": ("country = 'US' AND state IN ('TX', 'FL', 'AZ', 'GA', 'NV', 'NM', 'SC', 'AL', 'LA', 'MS')", None),
        "northeast_corridor": ("state IN ('MA', 'RI', 'CT', 'NY', 'NJ', 'PA', 'DE', 'MD', 'DC')", None),
        "dach_region": ("country IN ('DE', 'AT', 'CH')", None),
        "nordics": ("country IN ('SE', 'NO', 'DK', 'FI')", None),
        "uk_and_ireland": ("upper(country) IN ('GB', 'IE')", None),
        "latin_america": ("country IN ('MX', 'BR', 'AR', 'CL', 'CO')", None),
        "apac": ("country IN ('AU', 'NZ', 'JP', 'KR', 'SG', 'IN', 'PH', 'MY', 'TH')", None),
        "us_top_metros": ("country = 'US' AND lower(city) IN ('new york', 'los angeles', 'chicago', 'houston', 'phoenix')", None),
        "upstate_new_york": (f"state = 'NY' AND NOT {d.starts('city', 'New York')}", None),
        "saints_cities": (d.matches("city", r"^(San|Santa|Saint|St\.) "), None),
        "spa_towns": (d.ends("lower(city)", "springs"), None),
        "harbor_towns": (f"{d.contains('lower(city)', 'port')} OR {d.contains('lower(city)', 'harbor')}", None),
        # --- interests.seg
        "yoga_fans": (d.has("interests", "yoga"), None),
        "active_lifestyle": (d.has_any("interests", ["fitness", "running", "cycling", "yoga", "outdoors"]), None),
        "runner_prospects": (f"{d.has('interests', 'fitness')} AND NOT {d.has_any('interests', ['running'])}", None),
        "eco_conscious": (d.has_any("interests", ["sustainability", "vegan", "gardening"]), None),
        "eco_millennials": (f"$millennials AND {d.has('interests', 'sustainability')}", None),
        "foodies": (d.has_any("interests", ["cooking", "wine", "coffee"]), None),
        "wine_travelers": (d.has_all("interests", ["wine", "travel"]), None),
        "luxury_fashionistas": (d.has_all("interests", ["luxury", "fashion"]), None),
        "indoor_gamers": (f"{d.has('interests', 'gaming')} AND NOT {d.has_any('interests', ['outdoors', 'sports', 'fitness'])}", None),
        "creative_makers": (d.has_any("interests", ["art", "crafts", "photography", "diy"]), None),
        "young_parents": (f"{d.has('interests', 'parenting')} AND age < 40", None),
        "wellness_women": (f"gender = 'female' AND {d.has_any('interests', ['wellness', 'yoga', 'beauty'])}", None),
        "broad_interests": (f"{d.size('interests')} >= 5", None),
        "no_interests": (f"interests IS NULL OR {d.size('interests')} = 0", None),
        # --- lifecycle.seg (params: at_risk_churn = 0.7, relaunch_date = 2025-01-01)
        "new_customers": (f"signup_date BETWEEN {date(TODAY - 30 * days)} AND {date(TODAY)}", None),
        "welcome_series": (f"signup_date BETWEEN {date(TODAY - 14 * days)} AND {date(TODAY)} AND signup_date < {date(TODAY)}", None),
        "active_customers": ("$active_window_buyers AND NOT $new_customers", None),
        "at_risk": (f"({d.days_since(lp)} BETWEEN 91 AND 180 OR {churn} >= 0.7) AND total_orders > 0", None),
        "lapsed": (f"{lp} < {ts(months_back(NOW, 6))} AND {lp} > {ts(months_back(NOW, 12))}", None),
        "win_back": (f"{lp} < {ts(months_back(NOW, 12))} AND lifetime_value >= 200.0", None),
        "vip_at_risk": ("$at_risk AND ($big_spenders OR loyalty_tier = 'platinum')", None),
        "long_tenure": (f"signup_date < {date(months_back(TODAY, 60))}", None),
        "joined_since_relaunch": (f"signup_date > {date(dt.date(2025, 1, 1))}", None),
        "signup_anniversary": (f"{d.part('month', 'signup_date')} = {TODAY.month} AND signup_date < {date(months_back(TODAY, 12))}", None),
        "class_of_2025": (f"{d.part('year', 'signup_date')} = 2025", None),
        "healthy_relationship": (f"(1 - {churn}) * 60 + nps * 4 >= 80", None),
        # --- spend.seg (params: vip_threshold = 1000, whale_spend = 10_000.00)
        "big_spenders": ("lifetime_value >= 1000 AND total_orders >= 5", None),
        "lapsed_vip": (f"$big_spenders AND {lp} < {ts(NOW - 90 * days)} AND loyalty_tier IN ('gold', 'platinum')",
                       "email_opt_in = false"),
        "whales": (f"total_spend_12m >= {d.dec('10000.00')}", None),
        "heavy_spenders": (f"total_spend_12m >= {d.dec('1000.00')} AND total_spend_12m < {d.dec('10000.00')}", None),
        "mid_spenders": (f"total_spend_12m >= {d.dec('250.00')} AND total_spend_12m < {d.dec('1000.00')}", None),
        "light_spenders": (f"total_spend_12m > {d.dec('0')} AND total_spend_12m < {d.dec('250.00')}", None),
        "no_recent_spend": (f"total_orders > 0 AND total_spend_12m = {d.dec('0.00')}", None),
        "cooling_high_value": (f"lifetime_value >= 2000.0 AND total_spend_12m < {d.dec('100.00')}", None),
        "tier_upgrade_candidates": (f"loyalty_tier = 'silver' AND total_spend_12m >= {d.dec('750.00')}", None),
        "platinum_members": ("loyalty_tier = 'platinum'", None),
        "not_in_loyalty": ("loyalty_tier IS NULL", None),
        "premium_per_order": (f"{per_order} >= 100", None),
        "bargain_hunters": ("avg_order_value < 30.0 AND total_orders >= 6", None),
        # --- suppression.seg (param: holdout_buckets = 10)
        "holdout_group": ("customer_id % 10 = 0", None),
        "email_marketable": ("email_opt_in", "$holdout_group"),
        "sms_marketable": ("coalesce(sms_opt_in, false)", "$holdout_group"),
        "sms_consent_ask": ("sms_opt_in IS NULL AND email_opt_in", None),
        "consent_on_file": ("sms_opt_in IS NOT NULL AND email_opt_in IS NOT NULL", None),
        "do_not_contact": ("NOT (coalesce(email_opt_in, false) OR coalesce(sms_opt_in, false))", None),
        "vip_email_audience": ("$big_spenders OR loyalty_tier = 'platinum'", "email_opt_in = false OR $holdout_group"),
        "winback_email_audience": ("$win_back OR $lapsed", "email_opt_in = false OR $detractors OR $holdout_group"),
        "omnichannel_retarget": ("$at_risk AND email_opt_in",
                                 "sms_opt_in IS NULL OR sms_opt_in = false OR $holdout_group"),
        "review_requests": ("$promoters AND $recent_buyers", "email_opt_in = false OR $holdout_group"),
        "nps_survey_audience": ("nps IS NULL AND $repeat_buyers AND email_opt_in", "$new_customers OR $holdout_group"),
    }


def memberships(d) -> dict:
    """segment name -> a never-NULL SQL boolean: the membership, references expanded."""
    segs = segments(d)
    done: dict = {}

    def member(name):
        if name not in done:
            where, exclude = segs[name]
            expr = f"coalesce(({expand(where)}), false)"
            if exclude:
                expr += f" AND NOT coalesce(({expand(exclude)}), false)"
            done[name] = f"({expr})"
        return done[name]

    def expand(text):
        return re.sub(r"\$(\w+)", lambda m: member(m.group(1)), text)

    return {name: member(name) for name in segs}


def select_sql(d, source="t") -> str:
    """One SELECT counting every segment's members in one pass."""
    cols = ",\n  ".join(f"count(*) FILTER (WHERE {m}) AS {n}" for n, m in memberships(d).items())
    return f"SELECT\n  {cols}\nFROM {source}"


# --- engines -----------------------------------------------------------------------------


def duckdb_runner(table, threads):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads TO {threads}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.register("src", table)
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.unregister("src")
    sql = select_sql(DuckDB())
    return lambda: [int(c or 0) for c in con.sql(sql).fetchall()[0]], duckdb.__version__


def datafusion_runner(table, threads):
    import datafusion

    ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(threads))
    batches = table.to_batches()
    ctx.register_record_batches("t", [batches[i::threads] for i in range(threads)])
    sql = select_sql(DataFusion())

    def run():
        out = ctx.sql(sql).collect()
        batch = next(b for b in out if b.num_rows)
        return [int(batch.column(i)[0].as_py() or 0) for i in range(batch.num_columns)]

    return run, datafusion.__version__


RUNNERS = {"duckdb": duckdb_runner, "datafusion": datafusion_runner}


def load_table(path):
    import pyarrow.parquet as pq

    cols = ["customer_id", "email", "age", "gender", "country", "state", "city", "signup_date",
            "last_purchase_at", "lifetime_value", "total_orders", "avg_order_value", "loyalty_tier",
            "email_opt_in", "sms_opt_in", "churn_score", "nps", "interests", "device", "total_spend_12m"]
    return pq.read_table(path, columns=[c for c in cols if c != "email"])


def seg_counts(seg, data, root) -> dict:
    run = subprocess.run(
        [seg, "run", os.path.join(root, "bench", "examples.seg"), "--root", root, "--data", data,
         "--as-of", AS_OF, "--summary", "json"],
        capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"seg run failed:\n{run.stderr}")
    return {s["name"]: s["members"] for s in json.loads(run.stdout)["segments"]}


def duckdb_counts_from_file(data):
    """Every segment's count, DuckDB reading the Parquet file itself (needs no pyarrow)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    escaped = data.replace("'", "''")
    return [int(c or 0) for c in con.sql(select_sql(DuckDB(), f"read_parquet('{escaped}')")).fetchall()[0]]


def cmd_check(args) -> int:
    """Exit 0 when every count equals Seg's, 1 on a mismatch, 2 on a setup error."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        import duckdb  # noqa: F401
    except ImportError:
        print("duckdb is not installed: pip install duckdb", file=sys.stderr)
        return 2
    seg = seg_counts(args.seg, args.data, root)
    engines = args.engines.split(",")
    names = list(segments(DuckDB()))
    if set(seg) != set(names):
        print(f"segments without a counterpart: {sorted(set(seg) ^ set(names))}", file=sys.stderr)
        return 2
    bad = 0
    for engine in engines:
        if engine == "duckdb":
            got = duckdb_counts_from_file(args.data)
        else:
            got = RUNNERS[engine](load_table(args.data), 2)[0]()
        counts = dict(zip(names, got))
        for n in names:
            ok = counts[n] == seg[n]
            bad += not ok
            if not ok or args.verbose:
                print(f"{'ok' if ok else 'MISMATCH':8} {engine:10} {n:26} seg {seg[n]:>9}  {engine} {counts[n]:>9}")
        print(f"{engine}: {sum(counts[n] == seg[n] for n in names)} of {len(names)} segment counts equal Seg's"
              f" ({sum(seg.values()):,} memberships)")
    return 1 if bad else 0


def edge_table(rows=20000, seed=7):
    """A profile table of edge values: boundaries of every relative-time window, values
    the data-quality segments flag (all absent from the benchmark table), NULLs, empty
    lists and NULL list elements, float32 churn scores next to 0.7, negative ids."""
    import random

    import pyarrow as pa

    r = random.Random(seed)
    utc = dt.timezone.utc
    us = dt.timedelta(microseconds=1)
    instants = [NOW, NOW - 30 * dt.timedelta(days=1), NOW - 30 * dt.timedelta(days=1) - us,
                NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2) + us, NOW + dt.timedelta(days=3),
                NOW - dt.timedelta(hours=48), NOW - dt.timedelta(hours=48) - us,
                NOW - dt.timedelta(days=90), NOW - dt.timedelta(days=91) + us, NOW - dt.timedelta(days=181),
                dt.datetime.combine(months_back(TODAY, 6), dt.time(), utc),
                dt.datetime.combine(months_back(TODAY, 12), dt.time(), utc),
                dt.datetime.combine(months_back(TODAY, 12), dt.time(), utc) + us,
                dt.datetime(2025, 1, 1, tzinfo=utc), dt.datetime(2024, 12, 31, 23, 59, tzinfo=utc),
                dt.datetime(2026, 12, 31, 23, 0, tzinfo=utc), dt.datetime(2013, 6, 1, tzinfo=utc),
                dt.datetime(2026, 3, 1, 12, tzinfo=utc), dt.datetime(2025, 11, 28, tzinfo=utc)]
    dates = [TODAY, TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=31),
             TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=15), TODAY + dt.timedelta(days=1),
             dt.date(2013, 12, 31), dt.date(2014, 1, 1), dt.date(2021, 11, 24), dt.date(2021, 11, 23),
             dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 11, 24), dt.date(2025, 11, 23),
             dt.date(2024, 11, 5), dt.date(2026, 3, 1), dt.date(2027, 2, 1)]
    pools = {
        "customer_id": [-20, -13, -10, 0, 7, 10, 1_000_000_000_000],
        "age": [-5, 0, 12, 13, 17, 18, 25, 29, 30, 45, 46, 54, 55, 61, 62, 110, 111],
        "gender": ["female", "male", "non_binary", "undisclosed"],
        "country": ["US", "DE", "AT", "CH", "GB", "IE", "SE", "MX", "JP", "FR"],
        "state": ["CA", "NY", "TX", "ca", "C1", "CAL", "OR", "WA", "MA", " NY"],
        "city": ["  Paris", "Paris ", "Ber1in", '"Quoted"', '"', "X", "Ab", "St. Louis", "Saint Paul",
                 "San Jose", "Santa Fe", "Sankt Gallen", "Colorado Springs", "PALM SPRINGS", "New York",
                 "New York Mills", "Newport", "Port Harbor", "Zürich", "São Paulo", "Köln", "Ürümqi 2",
                 "Chicago", "HOUSTON", "los angeles", "Phoenix\t", "Buffalo"],
        "signup_date": dates,
        "last_purchase_at": instants,
        "lifetime_value": [0.0, -0.0, 99.99, 100.0, 199.99, 200.0, 999.0, 1000.0, 2000.0, 5000.0, 1e9],
        "total_orders": [0, 1, 2, 5, 6, 10, 20],
        "avg_order_value": [0.0, 29.99, 30.0, 150.0, 149.99, 200.0, 1000.0],
        "loyalty_tier": ["bronze", "silver", "gold", "platinum"],
        "email_opt_in": [True, False],
        "sms_opt_in": [True, False],
        "churn_score": [0.0, 0.3, 0.5, 0.69999999, 0.7, 0.70000005, 0.9, 1.0],
        "nps": [-1, 0, 6, 7, 8, 9, 10, 11],
        "interests": [[], ["yoga"], [None, "yoga"], ["running", "fitness"], ["fitness"], ["wine", "travel"],
                      ["gaming"], ["gaming", "sports"], ["luxury", "fashion", "art", "diy", "beauty"],
                      ["parenting", "cooking", "sustainability", "vegan", "coffee", "outdoors"], [None]],
        "device": ["ios", "android", "web"],
        "total_spend_12m": [dt_dec("0.00"), dt_dec("0.01"), dt_dec("99.99"), dt_dec("100.00"),
                            dt_dec("249.99"), dt_dec("250.00"), dt_dec("750.00"), dt_dec("999.99"),
                            dt_dec("1000.00"), dt_dec("9999.99"), dt_dec("10000.00")],
    }
    types = {
        "customer_id": pa.int64(), "email": pa.string(), "age": pa.int32(),
        "gender": pa.dictionary(pa.int32(), pa.string()), "country": pa.dictionary(pa.int32(), pa.string()),
        "state": pa.string(), "city": pa.string(), "signup_date": pa.date32(),
        "last_purchase_at": pa.timestamp("us", tz="UTC"), "lifetime_value": pa.float64(),
        "total_orders": pa.int32(), "avg_order_value": pa.float64(),
        "loyalty_tier": pa.dictionary(pa.int32(), pa.string()), "email_opt_in": pa.bool_(),
        "sms_opt_in": pa.bool_(), "churn_score": pa.float32(), "nps": pa.int8(),
        "interests": pa.list_(pa.string()), "device": pa.string(), "total_spend_12m": pa.decimal128(12, 2),
    }
    cols = {}
    for name, typ in types.items():
        if name == "email":
            cols[name] = pa.array([None if r.random() < 0.2 else f"u{i}@gmail.com" for i in range(rows)], typ)
            continue
        pool = pools[name]
        cols[name] = pa.array([None if r.random() < 0.15 else r.choice(pool) for _ in range(rows)], typ)
    return pa.table(cols)


def dt_dec(text):
    import decimal

    return decimal.Decimal(text)


def cmd_edge(args) -> int:
    """`check` on edge_table(), written to a temporary Parquet file."""
    import tempfile

    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "edge.parquet")
        pq.write_table(edge_table(args.rows), path, row_group_size=4096)
        args.data = path
        return cmd_check(args)


def cmd_time(args) -> int:
    table = load_table(args.data)
    rows = table.num_rows
    names = list(segments(DuckDB()))
    results, counts = [], {}
    for engine in args.engines.split(","):
        for threads in [int(t) for t in args.threads.split(",")]:
            try:
                fn, version = RUNNERS[engine](table, threads)
                for _ in range(args.warmup):
                    got = fn()
                runs = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    got = fn()
                    runs.append(time.perf_counter() - t0)
            except Exception as exc:  # report and go on: DataFusion is optional
                print(f"  {engine} t={threads} ERROR {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            med = statistics.median(runs)
            counts[f"{engine} t{threads}"] = got
            results.append({"engine": engine, "version": version, "threads": threads, "mode": "count",
                            "query": "EX107", "runs_s": runs, "median_s": med, "rows_per_s": rows / med,
                            "members": sum(got)})
            print(f"  {engine:<10} t={threads} EX107 median {med * 1e3:9.2f} ms", file=sys.stderr, flush=True)
    ref = next(iter(counts.values()), None)
    agree = all(c == ref for c in counts.values())
    if not agree:
        print("!!! MISMATCH: the engines disagree on the examples' counts", file=sys.stderr)
    doc = {"kind": "peers-examples", "rows": rows, "data": args.data, "segments": len(names), "as_of": AS_OF,
           "results": results, "agree": agree,
           "counts": dict(zip(names, ref)) if ref else {}}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
    return 0 if agree else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="compare every count with `seg run`")
    c.add_argument("seg")
    c.add_argument("data")
    c.add_argument("--engines", default="duckdb")
    c.add_argument("-v", "--verbose", action="store_true")
    e = sub.add_parser("edge", help="`check` on a generated table of edge values")
    e.add_argument("seg")
    e.add_argument("--rows", type=int, default=20000)
    e.add_argument("--engines", default="duckdb")
    e.add_argument("-v", "--verbose", action="store_true")
    t = sub.add_parser("time", help="time the one-pass SELECT over the in-memory table")
    t.add_argument("data")
    t.add_argument("--engines", default="duckdb,datafusion")
    t.add_argument("--threads", default="1,2")
    t.add_argument("--repeat", type=int, default=5)
    t.add_argument("--warmup", type=int, default=1)
    t.add_argument("--out")
    s = sub.add_parser("sql", help="print the one-pass SELECT")
    s.add_argument("--dialect", default="duckdb", choices=["duckdb", "datafusion"])
    args = ap.parse_args(argv)
    if args.cmd == "check":
        return cmd_check(args)
    if args.cmd == "time":
        return cmd_time(args)
    if args.cmd == "edge":
        return cmd_edge(args)
    print(select_sql(DuckDB() if args.dialect == "duckdb" else DataFusion()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
