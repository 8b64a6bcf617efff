"""Seg, the language in which marketers write customer segments, for Python.

Check rules, compile them with the Cranelift JIT that ``seg run`` uses, and
run them over any Arrow data (pyarrow, Polars, DuckDB, pandas, or a Parquet,
CSV, JSON lines or Arrow IPC file) without copying it::

    import seg

    program = seg.compile("examples/lifecycle.seg", as_of="2026-11-24")
    sizes = program.sizes("examples/profiles.parquet")
    table = program.run(polars_frame)   # a pyarrow.Table: key + a bool per segment

``seg.check`` lists diagnostics as objects; problems raise ``seg.SegError``
with the code of docs/diagnostics.md; warnings are ``seg.SegWarning``\\ s.
The guide is docs/python.md.
"""

from ._seg import (
    Diagnostic,
    Edit,
    Fix,
    Program,
    Related,
    SegError,
    SegWarning,
    Sizes,
    __version__,
    check,
    compile,
)

# The module's names (seg._seg.__all__), spelt out for type checkers.
__all__ = [
    "check",
    "compile",
    "Program",
    "Sizes",
    "Diagnostic",
    "Related",
    "Fix",
    "Edit",
    "SegError",
    "SegWarning",
]
