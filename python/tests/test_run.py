"""Program.run and Program.sizes: every Arrow source, read in place, with the
results of the command line and of the reference evaluator."""

import decimal
import json
import pathlib
import threading
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import seg
from conftest import AS_OF, EXAMPLES, PROFILES

RULES = ["lifecycle.seg", "event_histories.seg", "interests.seg", "geography.seg", "campaign_holdout.seg"]


def compiled(name, **options):
    return seg.compile(EXAMPLES / name, as_of=AS_OF, **options)


def same_results(a: pa.Table, b: pa.Table):
    assert a.schema.names == b.schema.names
    for name in a.schema.names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name


@pytest.mark.parametrize("name", RULES)
def test_the_jit_agrees_with_the_reference_evaluator(name, profiles):
    jit = compiled(name, engine="jit").run(profiles)
    interp = compiled(name, engine="interp").run(profiles)
    assert jit.num_rows == profiles.num_rows
    same_results(jit, interp)


@pytest.mark.parametrize("name", ["lifecycle.seg", "event_histories.seg"])
def test_run_is_seg_run_out(name, cli, tmp_path, profiles):
    out = tmp_path / "out.parquet"
    cli("run", EXAMPLES / name, "--data", PROFILES, "--as-of", AS_OF, "--out", out)
    from_cli = pq.read_table(out)
    from_python = compiled(name).run(profiles)
    same_results(from_python, from_cli)


def test_sizes_are_seg_runs(cli, profiles):
    summary = json.loads(
        cli("run", EXAMPLES / "lifecycle.seg", "--data", PROFILES, "--as-of", AS_OF, "--summary", "json").stdout
    )
    program = compiled("lifecycle.seg")
    for data in (profiles, PROFILES):
        sizes = program.sizes(data)
        assert sizes.profiles == summary["profiles"] == 20_000
        assert sizes.segments == {s["name"]: s["members"] for s in summary["segments"]}
        assert sizes.engine == "jit"


def test_sizes_agree_with_the_columns_of_run(profiles):
    program = compiled("lifecycle.seg")
    table = program.run(profiles)
    sizes = program.sizes(profiles)
    for name in program.segments:
        assert sizes[name] == pc.sum(table.column(name)).as_py() or sizes[name] == 0
    for group in program.priorities:
        counts = table.column(group).value_counts().to_pylist()
        chosen = {c["values"]: c["counts"] for c in counts if c["values"] is not None}
        assert {k: v for k, v in sizes.priorities[group].items() if v} == chosen
        assert sizes.unassigned[group] == table.column(group).null_count


def sources(profiles):
    """The bundled profiles through every kind of source a user has."""
    import duckdb
    import polars as pl

    yield "pyarrow.Table", profiles
    yield "pyarrow.RecordBatchReader", lambda: pa.RecordBatchReader.from_batches(
        profiles.schema, profiles.to_batches(max_chunksize=3000)
    )
    yield "pyarrow.RecordBatch", profiles.combine_chunks().to_batches()[0]
    yield "polars.DataFrame", pl.from_arrow(profiles)
    yield "duckdb relation", lambda: duckdb.sql(f"select * from read_parquet('{PROFILES}')")
    yield "path str", str(PROFILES)
    yield "pathlib.Path", pathlib.Path(PROFILES)


@pytest.mark.parametrize("name", ["lifecycle.seg", "event_histories.seg"])
def test_every_source_gives_the_same_results(name, profiles):
    program = compiled(name)
    expected = program.run(profiles)
    for label, source in sources(profiles):
        data = source() if callable(source) else source
        got = program.run(data)
        key = program.key
        same_results(got.sort_by(key), expected.sort_by(key))
        data = source() if callable(source) else source
        assert program.sizes(data).segments == program.sizes(profiles).segments, label


def test_pandas_with_arrow_dtypes(profiles):
    pd = pytest.importorskip("pandas")
    frame = profiles.to_pandas(types_mapper=pd.ArrowDtype)
    program = compiled("lifecycle.seg")
    assert program.sizes(frame).segments == program.sizes(profiles).segments


def test_the_key_column_comes_back_without_a_copy(profiles):
    program = compiled("lifecycle.seg")
    table = profiles.combine_chunks()
    result = program.run(table)
    given = table.column("customer_id").chunks[0].buffers()[1]
    returned = result.column("customer_id").chunks[0].buffers()[1]
    assert returned.address == given.address
    # Nothing of the input was copied into pyarrow's pool either: the results
    # are the key (shared) and bitmaps.
    before = pa.total_allocated_bytes()
    kept = program.run(table)
    assert pa.total_allocated_bytes() - before < table.nbytes // 4
    del kept


def test_polars_buffers_are_read_in_place():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"id": list(range(100_000)), "n": [i % 7 for i in range(100_000)]})
    program = seg.compile("schema {\n  id: int key\n  n: int\n}\nsegment six { where n == 6 }\n", as_of=AS_OF)
    result = program.run(frame)
    assert result.column("id").chunks[0].buffers()[1].address == frame["id"].to_arrow().buffers()[1].address
    assert pc.sum(result.column("six")).as_py() == 100_000 // 7


def test_sliced_and_chunked_tables(profiles):
    program = compiled("lifecycle.seg")
    full = program.run(profiles)
    for offset, length in [(1, 999), (63, 4097), (12_345, 7_000), (19_999, 1)]:
        part = profiles.slice(offset, length)
        got = program.run(part)
        same_results(got, full.slice(offset, length))
        same_results(got, compiled("lifecycle.seg", engine="interp").run(part))
    many = pa.Table.from_batches(profiles.to_batches(max_chunksize=777))
    same_results(program.run(many), full)


def test_empty_data_has_the_result_schema(profiles):
    program = compiled("lifecycle.seg")
    result = program.run(profiles.slice(0, 0))
    assert result.num_rows == 0
    assert result.schema.names == ["customer_id", *program.segments, *program.priorities]
    sizes = program.sizes(profiles.slice(0, 0))
    assert sizes.profiles == 0 and set(sizes.segments.values()) == {0}


RULES_OF_TYPES = """schema {
  id: int key
  n: int
  x: float
  s: string
  day: date
  at: timestamp
  amount: decimal
  tags: list<string>
}
segment hit {
  where n > 1 and x < 2.5 and s starts with "a" and day >= 2026-01-02
    and at before 2026-06-01T00:00:00Z and amount >= 1.50 and tags contains "t"
}
"""


def test_exotic_arrow_types_and_shuffled_columns():
    rows = 5
    table = pa.table(
        {
            "extra": pa.array(["zz"] * rows),
            "tags": pa.array([["t"], ["u"], [], None, ["t", "v"]], pa.large_list(pa.string_view())),
            "amount": pa.array([decimal.Decimal(v) for v in ["1.50", "2.00", "1.00", "3.00", "1.51"]], pa.decimal128(10, 2)),
            "at": pa.array([0, 1, 2, 3, 4], pa.int64()).cast(pa.timestamp("ns", tz="Asia/Tokyo")),
            "day": pa.array([20455, 20456, 20457, 20458, 20459], pa.int32()).cast(pa.date32()),
            "s": pa.array(["ab", "ac", "ba", None, "a"]).dictionary_encode(),
            "x": pa.array([1.0, 2.0, 3.0, 1.5, None], pa.float32()),
            "n": pa.array([2, 3, 4, 5, 6], pa.int8()),
            "id": pa.array([10, 11, 12, 13, 14], pa.uint32()),
        }
    )
    jit = seg.compile(RULES_OF_TYPES, as_of=AS_OF, engine="jit").run(table)
    interp = seg.compile(RULES_OF_TYPES, as_of=AS_OF, engine="interp").run(table)
    same_results(jit, interp)
    assert jit.column("id").type == pa.uint32()
    # Row 0 meets every clause; 1 lacks the tag, 2 fails `x < 2.5`, 3 has no
    # `s`, 4 no `x`.
    assert jit.column("hit").to_pylist() == [True, False, False, False, False]


def test_a_column_that_does_not_fit_is_located():
    program = seg.compile(RULES_OF_TYPES, as_of=AS_OF)
    with pytest.raises(seg.SegError) as caught:
        program.run(pa.table({"id": [1], "n": [1]}))
    assert caught.value.code == "E0401"
    (first, *_) = caught.value.diagnostics
    assert first.line >= 2 and first.file == "<rules>.seg"
    with pytest.raises(seg.SegError) as caught:
        program.sizes(pa.table({"id": [1], "n": ["one"], "x": [1.0], "s": ["a"], "day": [None], "at": [None],
                                "amount": [None], "tags": [None]}))
    assert caught.value.code == "E0402" and "`n`" in caught.value.message


def test_duplicate_columns_are_ambiguous():
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2]), pa.array([3])], names=["id", "n", "n"])
    program = seg.compile("schema {\n  id: int key\n  n: int\n}\nsegment a { where n > 1 }\n", as_of=AS_OF)
    with pytest.raises(seg.SegError) as caught:
        program.run(table)
    assert caught.value.code == "E0408"


def test_what_is_not_arrow_is_refused_with_the_remedy(tmp_path):
    program = compiled("lifecycle.seg")
    with pytest.raises(TypeError, match="Arrow"):
        program.run([1, 2, 3])
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match="collect"):
        program.sizes(pl.scan_parquet(PROFILES))
    with pytest.raises(seg.SegError) as caught:
        program.run(tmp_path / "profiles.xlsx")
    assert caught.value.code == "E0403"
    with pytest.raises(ValueError, match="format"):
        program.run(PROFILES, format="excel")
    with pytest.raises(ValueError, match="file"):
        program.run(pa.table({"a": [1]}), format="csv")


def test_files_in_every_format_and_a_corrupt_one(tmp_path, profiles):
    program = seg.compile("schema {\n  customer_id: int key\n  total_orders: int\n}\nsegment buyers { where total_orders > 2 }\n", as_of=AS_OF)
    small = profiles.select(["customer_id", "total_orders"])
    expected = program.sizes(small)["buyers"]
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather

    pcsv.write_csv(small, tmp_path / "p.csv")
    feather.write_feather(small, tmp_path / "p.arrow")
    (tmp_path / "p.data").write_bytes((tmp_path / "p.csv").read_bytes())
    assert program.sizes(tmp_path / "p.csv")["buyers"] == expected
    assert program.sizes(tmp_path / "p.arrow")["buyers"] == expected
    assert program.sizes(tmp_path / "p.data", format="csv")["buyers"] == expected
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(PROFILES.read_bytes()[:5000])
    with pytest.raises(seg.SegError) as caught:
        program.sizes(corrupt)
    assert caught.value.code == "E0403"
    with pytest.raises(seg.SegError) as caught:
        program.sizes(tmp_path / "missing.parquet")
    assert caught.value.code == "E0801"


def test_threads_do_not_change_results(profiles):
    program = compiled("lifecycle.seg")
    one = program.run(profiles, threads=1)
    many = program.run(pa.Table.from_batches(profiles.to_batches(max_chunksize=1000)), threads=4)
    same_results(one, many)
    assert program.sizes(profiles, threads=2).threads == 2


def test_overlap_counts_pairs(profiles):
    program = compiled("lifecycle.seg", segments=["lapsed", "win_back", "vip_at_risk"])
    sizes = program.sizes(profiles, overlap=True)
    table = program.run(profiles)
    for a in program.segments:
        for b in program.segments:
            both = pc.sum(pc.and_(table.column(a), table.column(b))).as_py() or 0
            assert sizes.overlap[(a, b)] == both
    assert program.sizes(profiles).overlap is None
    pairs = sizes.to_dict()["overlap"]
    assert len(pairs) == 3


def test_the_sizes_object(profiles):
    sizes = compiled("lifecycle.seg").sizes(profiles)
    assert "lapsed" in sizes and "nothing" not in sizes
    assert len(sizes) == len(sizes.segments) and list(sizes) == list(sizes.segments)
    assert sizes.share("lapsed") == pytest.approx(sizes["lapsed"] / 20_000)
    with pytest.raises(KeyError, match="lapsed"):
        sizes["lapsd"]
    data = sizes.to_dict()
    assert data["profiles"] == 20_000 and data["as_of"] == AS_OF
    assert json.loads(json.dumps(data)) == data
    assert "lapsed" in repr(sizes) and "lifecycle_stage → (none)" in repr(sizes)
    assert sizes.seconds > 0


def test_names_are_escaped_in_the_notebook_table():
    rules = 'schema {\n  n: int\n}\nsegment `<script>` { where n > 0 }\n'
    html = seg.compile(rules, as_of=AS_OF).sizes(pa.table({"n": [1, 2]}))._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_gil_is_released_while_a_run_works():
    rows = 4_000_000
    table = pa.table({"n": pa.array(range(rows), pa.int64()), "s": pa.array(["abc", "xyz"] * (rows // 2))})
    program = seg.compile(
        "schema {\n  n: int\n  s: string\n}\n"
        + "".join(f'segment s{i} {{ where n % {i + 2} == 0 and s contains "b" }}\n' for i in range(30)),
        as_of=AS_OF,
    )
    started = time.perf_counter()
    program.sizes(table, threads=1)
    alone = time.perf_counter() - started
    ticks = 0
    done = threading.Event()

    def work():
        program.sizes(table, threads=1)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    # Python code on this thread runs only while the worker has let go of
    # the GIL: with the GIL held through the run, this loop would stall.
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    worker.join()
    assert alone > 0.02, "the run is too short to tell"
    assert ticks > 100, f"only {ticks} ticks in a {alone:.2f} s run"


def test_programs_are_shared_between_threads(profiles):
    program = compiled("lifecycle.seg")
    expected = program.sizes(profiles).segments
    results = []

    def work():
        results.append(program.sizes(profiles, threads=1).segments)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [expected] * 4


def test_pandas_missing_ints_need_arrow_dtypes(profiles):
    frame = profiles.select(["customer_id", "nps"]).to_pandas()
    program = seg.compile(
        "schema {\n  customer_id: int key\n  nps: int\n}\nsegment promoters { where nps >= 9 }\n", as_of=AS_OF
    )
    with pytest.raises(seg.SegError) as caught:
        program.sizes(frame)
    assert caught.value.code == "E0402" and "nps" in caught.value.message
    converted = frame.convert_dtypes(dtype_backend="pyarrow")
    assert program.sizes(converted)["promoters"] == program.sizes(profiles)["promoters"]


INTERRUPTED = r"""
import os, signal, sys, threading, time
import numpy as np, pyarrow as pa, seg
rows = 20_000_000
table = pa.table({"n": np.arange(rows, dtype=np.int64)})
rules = "schema {\n  n: int\n}\n" + "".join(
    f"segment s{i} {{ where n % {i + 3} == 1 or n % {i + 5} == 2 }}\n" for i in range(60))
program = seg.compile(rules, as_of="2026-11-24", engine="interp")
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
started = time.perf_counter()
try:
    program.sizes(table, threads=1)
    print("finished", time.perf_counter() - started)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - started)
"""


def test_ctrl_c_stops_a_run():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-P", "-c", INTERRUPTED], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    word, seconds = done.stdout.split()
    assert word == "interrupted", done.stdout
    assert float(seconds) < 5


@pytest.mark.parametrize("frame", ["pyarrow", "polars", "pandas"])
def test_a_misspelt_column_gets_a_did_you_mean(frame):
    table = pa.table({"id": [1, 2], "lifetime_valu": [1.0, 2.0], "other": ["a", "b"]})
    if frame == "polars":
        table = pytest.importorskip("polars").from_arrow(table)
    elif frame == "pandas":
        table = table.to_pandas()
    program = seg.compile("schema {\n  id: int key\n  lifetime_value: float\n}\nsegment a { where lifetime_value > 1 }\n", as_of=AS_OF)
    with pytest.raises(seg.SegError) as caught:
        program.run(table)
    assert caught.value.code == "E0401"
    assert "lifetime_valu" in (caught.value.help or "") + str(caught.value)
