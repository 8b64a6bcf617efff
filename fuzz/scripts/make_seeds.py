"""Writes the seed corpora of the fuzz targets (committed under fuzz/seeds/).

The reader targets start from small valid files of every format holding every
type the fuzz rules read (fuzz/src/lib.rs), with nulls, NaN, a dictionary
column, empty and null lists. The text targets (parse, check, fmt_roundtrip)
start from examples/ and tests/fixtures/ directly (scripts/fuzz.sh). Needs pyarrow (only to regenerate; CI uses the committed files).

    python3 fuzz/scripts/make_seeds.py
"""
import datetime as dt
import decimal
import json
import pathlib

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"

utc = dt.timezone.utc
rows = {
    "id": [1, 2, 3, 4, 5],
    "i": [1, None, 3, -9223372036854775808, 9223372036854775807],
    "f": [0.5, float("nan"), None, -0.0, 1e300],
    "d": [decimal.Decimal("1.25"), None, decimal.Decimal("-3.5"), decimal.Decimal("99999999999999999999.99"), decimal.Decimal("0.01")],
    "b": [True, False, None, True, False],
    "s": ["apple", "b", None, "Zürich", ""],
    "t": [dt.datetime(2026, 3, 1, tzinfo=utc), None, dt.datetime(1970, 1, 1, tzinfo=utc), dt.datetime(2026, 10, 25, 1, 30, tzinfo=utc), dt.datetime(2030, 1, 1, tzinfo=utc)],
    "dt": [dt.date(2026, 2, 28), dt.date(2024, 2, 29), None, dt.date(1900, 1, 1), dt.date(2026, 5, 31)],
    "ls": [["x"], [], None, ["y", None], ["a", "b", "c"]],
    "li": [[3], [], None, [1, None], [2, 3]],
}
table = pa.table({
    "id": pa.array(rows["id"], pa.int64()),
    "i": pa.array(rows["i"], pa.int64()),
    "f": pa.array(rows["f"], pa.float64()),
    "d": pa.array(rows["d"], pa.decimal128(22, 2)),
    "b": pa.array(rows["b"], pa.bool_()),
    "s": pa.array(rows["s"], pa.string()).dictionary_encode(),
    "t": pa.array(rows["t"], pa.timestamp("us", tz="UTC")),
    "dt": pa.array(rows["dt"], pa.date32()),
    "ls": pa.array(rows["ls"], pa.list_(pa.string())),
    "li": pa.array(rows["li"], pa.list_(pa.int64())),
})


def fresh(name):
    """The seed folder of a target, emptied of generated seeds; inputs a fuzz
    run found (`found-*`) stay, as regression cases."""
    d = SEEDS / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        if not f.name.startswith("found-"):
            f.unlink()
    return d


d = fresh("read_parquet")
pq.write_table(table, d / "plain.parquet", row_group_size=2, write_page_index=True)
pq.write_table(table, d / "zstd.parquet", compression="zstd", use_dictionary=False)

d = fresh("read_ipc")
with ipc.new_file(d / "file.arrow", table.schema) as w:
    w.write_table(table, max_chunksize=2)
with ipc.new_stream(d / "stream.arrows", table.schema) as w:
    w.write_table(table, max_chunksize=3)

d = fresh("read_csv")
flat = table.drop_columns(["ls", "li"]).set_column(5, "s", table.column("s").cast(pa.string()))
pcsv.write_csv(flat, d / "plain.csv")
(d / "lists.csv").write_text('id,ls,li\n1,"[""x""]","[3]"\n2,[],[]\n3,,\n')

d = fresh("read_jsonl")
lines = []
for k in range(5):
    row = {}
    for name, values in rows.items():
        v = values[k]
        if isinstance(v, float) and v != v:
            continue
        if isinstance(v, (dt.datetime, dt.date)):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = str(v)
        row[name] = v
    lines.append(json.dumps(row, ensure_ascii=False))
(d / "plain.jsonl").write_text("\n".join(lines) + "\n")

print("seeds written to", SEEDS)
