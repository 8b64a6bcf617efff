"""seg.compile: options from Python values, errors and warnings."""

import datetime as dt
import decimal
import warnings
import zoneinfo

import pyarrow as pa
import pytest

import seg
from conftest import AS_OF, EXAMPLES

PARAMS = """schema {
  id: int key
  country: string
  orders: int
  spend: float
  total: decimal
  vip: bool
  joined: date
  seen: timestamp
  tags: list<string>
}
param home = "US"
param min_orders = 1
param min_spend = 10.0
param min_total = 100.00
param must_be_vip = false
param since = 2020-01-01
param seen_after = 2020-01-01T00:00:00Z
param window = 30 days
param wanted = ["a", "b"]
param codes = [1, 2]
segment match {
  where country == home and orders >= min_orders and spend >= min_spend
    and total >= min_total and (vip or not must_be_vip) and joined >= since
    and seen after seen_after and seen within window and tags contains any wanted
    and orders in codes
}
"""


def test_rules_with_errors_raise_with_every_diagnostic():
    with pytest.raises(seg.SegError) as caught:
        seg.compile("schema {\n  n: int\n}\nsegment a { where m > 1 and n > \"x\" }\n")
    error = caught.value
    assert error.code == "E0101"
    assert "`m`" in error.message
    assert len(error.diagnostics) == 2
    assert all(isinstance(d, seg.Diagnostic) for d in error.diagnostics)
    text = str(error)
    assert text.startswith("the rules have 2 errors")
    assert "error[E0101]" in text


def test_warnings_are_issued_and_kept():
    rules = "schema {\n  id: int key\n  tier: string\n}\nsegment not_gold { where tier != \"gold\" }\n"
    with pytest.warns(seg.SegWarning, match="W0309"):
        program = seg.compile(rules, as_of=AS_OF)
    assert [w.code for w in program.warnings] == ["W0309"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", seg.SegWarning)
        with pytest.raises(seg.SegWarning):
            seg.compile(rules, as_of=AS_OF)


@pytest.mark.parametrize(
    "as_of, expected",
    [
        ("2026-11-24", dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)),
        ("2026-11-24T09:30:00+02:00", dt.datetime(2026, 11, 24, 7, 30, tzinfo=dt.timezone.utc)),
        (dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)),
        (
            dt.datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
            dt.datetime(2026, 11, 24, 8, 0, 0, 123456, tzinfo=dt.timezone.utc),
        ),
    ],
)
def test_as_of_in_every_form(as_of, expected):
    program = seg.compile(EXAMPLES / "lifecycle.seg", as_of=as_of)
    assert program.as_of == expected
    assert program.as_of.tzinfo is not None


def test_a_date_is_midnight_in_the_rules_zone():
    rules = 'timezone "America/New_York"\nschema {\n  n: int\n}\nsegment a { where n > 0 }\n'
    program = seg.compile(rules, as_of=dt.date(2026, 7, 1))
    assert program.as_of == dt.datetime(2026, 7, 1, 4, tzinfo=dt.timezone.utc)
    berlin = seg.compile(rules, as_of="2026-07-01", timezone=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert berlin.as_of == dt.datetime(2026, 6, 30, 22, tzinfo=dt.timezone.utc)


def test_bad_instants_and_zones():
    with pytest.raises(seg.SegError) as caught:
        seg.compile(EXAMPLES / "lifecycle.seg", as_of=dt.datetime(2026, 11, 24))
    assert caught.value.code == "E0406" and "time zone" in caught.value.message
    with pytest.raises(seg.SegError) as caught:
        seg.compile(EXAMPLES / "lifecycle.seg", as_of="last tuesday")
    assert caught.value.code == "E0406"
    with pytest.raises(TypeError, match="as_of"):
        seg.compile(EXAMPLES / "lifecycle.seg", as_of=1764000000)
    with pytest.raises(seg.SegError) as caught:
        seg.compile(EXAMPLES / "lifecycle.seg", as_of=AS_OF, timezone="Europe/Berln")
    assert caught.value.code == "E0121" and "Europe/Berlin" in caught.value.help


def test_without_as_of_each_run_is_now():
    program = seg.compile(EXAMPLES / "lifecycle.seg")
    assert program.as_of is None
    before = dt.datetime.now(dt.timezone.utc)
    sizes = program.sizes(EXAMPLES / "profiles.parquet")
    after = dt.datetime.now(dt.timezone.utc)
    assert before - dt.timedelta(seconds=1) <= sizes.as_of <= after + dt.timedelta(seconds=1)
    assert "each run's moment" in repr(program)


def test_params_from_python_values():
    program = seg.compile(
        PARAMS,
        as_of=AS_OF,
        params={
            "home": 'F"R',
            "min_orders": 3,
            "min_spend": 12,
            "min_total": decimal.Decimal("1E+2"),
            "must_be_vip": True,
            "since": dt.date(2021, 2, 3),
            "seen_after": dt.datetime(2021, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            "window": dt.timedelta(days=14),
            "wanted": ["x", "y\\z"],
            "codes": (3, 4),
        },
    )
    assert dict(program.params) == {
        "home": '"F\\"R"',
        "min_orders": "3",
        "min_spend": "12",
        "min_total": "100",
        "must_be_vip": "true",
        "since": "2021-02-03",
        "seen_after": "2021-02-03T04:05:00Z",
        "window": "2 weeks",
        "wanted": '["x", "y\\\\z"]',
        "codes": "[3, 4]",
    }


def test_params_as_seg_literals_and_bare_strings():
    program = seg.compile(
        PARAMS, as_of=AS_OF, params={"window": "45 days", "since": "2022-01-01", "home": "GB"}
    )
    params = dict(program.params)
    assert params["window"] == "45 days" and params["since"] == "2022-01-01"
    assert params["home"] == '"GB"'


def test_param_values_run_as_given():
    rules = "schema {\n  id: int key\n  n: int\n}\nparam least = 1\nsegment big { where n >= least }\n"
    table = pa.table({"id": [1, 2, 3], "n": [1, 5, 10]})
    assert seg.compile(rules, as_of=AS_OF).sizes(table)["big"] == 3
    assert seg.compile(rules, as_of=AS_OF, params={"least": 5}).sizes(table)["big"] == 2


def test_bad_params():
    with pytest.raises(seg.SegError) as caught:
        seg.compile(PARAMS, as_of=AS_OF, params={"min_order": 3})
    assert caught.value.code == "E0405" and "min_orders" in caught.value.help
    with pytest.raises(seg.SegError) as caught:
        seg.compile(PARAMS, as_of=AS_OF, params={"min_orders": "many"})
    assert caught.value.code == "E0404"
    with pytest.raises(seg.SegError) as caught:
        seg.compile(PARAMS, as_of=AS_OF, params={"min_orders": 2.5})
    assert caught.value.code == "E0404"
    with pytest.raises(ValueError, match="whole minutes"):
        seg.compile(PARAMS, as_of=AS_OF, params={"window": dt.timedelta(seconds=90)})
    with pytest.raises(TypeError, match="param"):
        seg.compile(PARAMS, as_of=AS_OF, params={"home": object()})


def test_selection_engine_and_properties():
    program = seg.compile(
        EXAMPLES / "lifecycle.seg", as_of=AS_OF, segments=["lapsed", "lifecycle_stage"]
    )
    assert program.segments == ["lapsed"]
    assert program.priorities == ["lifecycle_stage"]
    assert program.key == "customer_id"
    assert "customer_id" in program.columns and "last_purchase_at" in program.columns
    assert program.engine == "auto"
    assert seg.compile(EXAMPLES / "lifecycle.seg", as_of=AS_OF, segments="lapsed").segments == ["lapsed"]
    with pytest.raises(seg.SegError) as caught:
        seg.compile(EXAMPLES / "lifecycle.seg", as_of=AS_OF, segments=["lapsd"])
    assert caught.value.code == "E0407" and "lapsed" in caught.value.help
    with pytest.raises(ValueError, match="engine"):
        seg.compile(EXAMPLES / "lifecycle.seg", engine="gpu")
    assert seg.compile(EXAMPLES / "lifecycle.seg", engine="interp").engine == "interp"


def test_sql_runs_on_duckdb_with_the_same_results(profiles):
    duckdb = pytest.importorskip("duckdb")
    program = seg.compile(EXAMPLES / "lifecycle.seg", as_of=AS_OF)
    statement = program.sql("duckdb", table="profiles")
    assert statement.lstrip().upper().startswith(("SELECT", "WITH"))
    con = duckdb.connect()
    con.register("profiles", profiles)
    from_sql = con.sql(statement).arrow()
    if hasattr(from_sql, "read_all"):
        from_sql = from_sql.read_all()
    from_jit = program.run(profiles)
    key = program.key
    from_sql = from_sql.sort_by(key)
    from_jit = from_jit.sort_by(key)
    for name in program.segments + program.priorities:
        assert from_sql.column(name).to_pylist() == from_jit.column(name).to_pylist(), name
    with pytest.raises(ValueError, match="dialect"):
        program.sql("oracle")
