#!/usr/bin/env python3
"""Cross-checks Seg against DuckDB, an independent SQL engine.

Every segment of crosscheck.seg has a DuckDB SQL predicate below with the same
meaning under SQL's three-valued logic (a row counts when the predicate is
TRUE; `exclude E` is `AND NOT coalesce(E, false)`). Both engines count members
on the same Parquet file at the same as-of instant, and every count must agree.

    python3 crosscheck.py SEG_BINARY DATA.parquet

Exit status: 0 when all counts agree, 1 on any mismatch, 2 on a setup error.
"""
import json
import subprocess
import sys
from pathlib import Path

AS_OF = "2026-11-24T00:00:00Z"
TS = "TIMESTAMPTZ '2026-11-24 00:00:00+00'"

# segment name -> DuckDB predicate
SQL = {
    "high_value": "lifetime_value >= 500",
    "us_high_value_opted_in": "country = 'US' AND lifetime_value >= 500 AND email_opt_in",
    "platinum_or_frequent": "loyalty_tier = 'platinum' OR total_orders >= 20",
    "west_coast": "state IN ('CA', 'OR', 'WA')",
    "not_west_coast": "state NOT IN ('CA', 'OR', 'WA')",
    "millennials": "age BETWEEN 25 AND 40",
    "yogis": "list_contains(interests, 'yoga')",
    "outdoorsy": "list_has_any(interests, ['outdoors', 'running', 'cycling'])",
    "yoga_and_wellness": "list_has_all(interests, ['yoga', 'wellness'])",
    "no_luxury": "NOT list_has_any(interests, ['luxury'])",
    "recent_buyers": f"last_purchase_at BETWEEN {TS} - INTERVAL 30 DAY AND {TS}",
    "lapsed": f"last_purchase_at < {TS} - INTERVAL 90 DAY",
    "veterans": "signup_date < DATE '2024-11-24'",
    "signed_up_this_quarter": "signup_date >= DATE '2026-08-24' AND signup_date <= DATE '2026-11-24'",
    "gmail": "suffix(email, '@gmail.com')",
    "san_cities": "regexp_matches(city, '^San ')",
    "big_spend_12m": "total_spend_12m >= CAST(1000.00 AS DECIMAL(12, 2))",
    "churn_risk": "churn_score > 0.625",
    "no_nps": "nps IS NULL",
    "not_sms": "NOT sms_opt_in",
    "high_order_value": "lifetime_value / NULLIF(total_orders, 0) > 100",
    "year_silent": f"floor((epoch_us({TS}) - epoch_us(last_purchase_at)) / 86400000000.0) > 365",
    "parisians": "lower(city) = 'paris'",
    "us_without_sms": "country = 'US' AND NOT coalesce(sms_opt_in, false)",
    "curious": "len(interests) >= 3",
    "not_female": "gender <> 'female'",
    "december_signups": "month(signup_date) = 12",
    "consistent_value": "avg_order_value * total_orders > lifetime_value",
    "sms_off": "coalesce(sms_opt_in, false) = false",
    "promoters": "nps >= 9 AND NOT (country IN ('US', 'CA'))",
    "short_city": "length(city) <= 4",
    "spend_mod": "CAST(total_orders AS BIGINT) % 7 = 3",
    "either_opt_in": "email_opt_in OR sms_opt_in",
    "neither_opt_in": "NOT email_opt_in AND NOT sms_opt_in",
    "unknown_tier_or_gold": "loyalty_tier IS NULL OR loyalty_tier = 'gold'",
    # bucket(salt): DuckDB's own md5 of 'salt:key', the first 8 hex digits as
    # an unsigned 32-bit number, modulo 10000 (LANGUAGE.md section 7.2).
    "holdout_10pct": "CAST('0x' || substr(md5('spring-2026:' || CAST(customer_id AS VARCHAR)), 1, 8) AS BIGINT) % 10000 < 1000",
    "bucket_band_unicode_salt": "CAST('0x' || substr(md5('Zoë''s test:' || CAST(customer_id AS VARCHAR)), 1, 8) AS BIGINT) % 10000 BETWEEN 2500 AND 4999",
    "lapsed_holdout": f"last_purchase_at < {TS} - INTERVAL 90 DAY AND CAST('0x' || substr(md5('win-back:' || CAST(customer_id AS VARCHAR)), 1, 8) AS BIGINT) % 10000 % 2 = 1",
}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    seg, data = sys.argv[1], sys.argv[2]
    try:
        import duckdb  # noqa: PLC0415
    except ImportError:
        print("duckdb is not installed: pip install duckdb", file=sys.stderr)
        return 2
    rules = Path(__file__).with_name("crosscheck.seg")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    filters = ", ".join(f"count(*) FILTER (WHERE {pred}) AS {name}" for name, pred in SQL.items())
    row = con.execute(f"SELECT count(*) AS profiles, {filters} FROM read_parquet('{data}')").fetchone()
    duck = dict(zip(["profiles", *SQL], row))
    mismatches = 0
    # Both engines, each against DuckDB: the JIT (the default) and the
    # reference evaluator.
    for engine in ["jit", "interp"]:
        run = subprocess.run(
            [seg, "run", str(rules), "--root", str(rules.parents[2]), "--data", data, "--as-of", AS_OF, "--summary", "json", "--engine", engine],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 2
        seg_counts = {s["name"]: s["members"] for s in json.loads(run.stdout)["segments"]}
        missing = set(SQL) ^ set(seg_counts)
        if missing:
            print(f"segments without a counterpart: {sorted(missing)}", file=sys.stderr)
            return 2
        for name in SQL:
            flag = "ok" if duck[name] == seg_counts[name] else "MISMATCH"
            mismatches += flag != "ok"
            print(f"{flag:8} {engine:6} {name:28} seg {seg_counts[name]:>9}  duckdb {duck[name]:>9}")
    SQL_RUNS = 2
    print(f"{SQL_RUNS * len(SQL) - mismatches} passed, {mismatches} failed")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
