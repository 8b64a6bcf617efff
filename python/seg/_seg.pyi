"""Type stubs of the extension module ``seg._seg`` (re-exported by ``seg``)."""

import datetime
import decimal
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal, Protocol, Union, final

import pyarrow

__version__: str
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

class _ArrowStream(Protocol):
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class _ArrowArray(Protocol):
    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]: ...

_Rules = Union[str, os.PathLike[str]]
"""A path to a ``.seg`` file, or the text of rules (a ``str`` holding a newline or ``{``)."""

_Data = Union[_ArrowStream, _ArrowArray, str, os.PathLike[str]]
"""Any Arrow PyCapsule source (pyarrow, Polars, DuckDB, pandas), or a data file's path."""

_Instant = Union[datetime.datetime, datetime.date, str]
_ParamValue = Union[
    int,
    float,
    bool,
    str,
    decimal.Decimal,
    datetime.date,
    datetime.datetime,
    datetime.timedelta,
    Sequence[Union[int, str]],
]

class SegError(Exception):
    """A problem Seg reports with a code (docs/diagnostics.md)."""

    code: str
    """The code, such as ``"E0401"``."""
    message: str
    """What went wrong, on one line."""
    help: str | None
    """How to fix it, when Seg can tell."""
    diagnostics: list[Diagnostic]
    """The located problems in the rules; empty for problems with data or options."""

class SegWarning(UserWarning):
    """A warning about rules that still run, issued by ``seg.compile``."""

@final
class Related:
    """Another place a diagnostic points to."""

    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...

@final
class Edit:
    """Bytes ``start_byte..end_byte`` of ``file`` become ``text``."""

    @property
    def file(self) -> str: ...
    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def text(self) -> str: ...

@final
class Fix:
    """A machine-applicable fix: every edit, in source order."""

    @property
    def message(self) -> str: ...
    @property
    def edits(self) -> list[Edit]: ...
    def apply(self, file: str, text: str) -> str:
        """``text``, the content of ``file``, with the edits applied (``ValueError`` when they do not fit)."""

@final
class Diagnostic:
    """One problem in rules; ``str(d)`` is the excerpt ``seg check`` prints."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def is_error(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def end_column(self) -> int: ...
    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def help(self) -> str | None: ...
    @property
    def related(self) -> list[Related]: ...
    @property
    def fixes(self) -> list[Fix]: ...
    def to_dict(self) -> dict[str, Any]:
        """The diagnostic as ``seg check --format json`` writes it."""

@final
class Sizes:
    """What a counting run found; ``sizes["vip"]`` is segment ``vip``'s members."""

    @property
    def profiles(self) -> int: ...
    @property
    def segments(self) -> dict[str, int]: ...
    @property
    def priorities(self) -> dict[str, dict[str, int]]: ...
    @property
    def unassigned(self) -> dict[str, int]: ...
    @property
    def overlap(self) -> dict[tuple[str, str], int] | None: ...
    @property
    def as_of(self) -> datetime.datetime: ...
    @property
    def engine(self) -> Literal["jit", "interp"]: ...
    @property
    def threads(self) -> int: ...
    @property
    def seconds(self) -> float: ...
    def __getitem__(self, name: str, /) -> int: ...
    def __contains__(self, name: str, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> list[str]: ...
    def share(self, name: str) -> float:
        """Members over profiles, from 0 to 1."""
    def to_dict(self) -> dict[str, Any]: ...
    def _repr_html_(self) -> str: ...

@final
class Program:
    """Checked rules prepared for runs, from ``seg.compile``."""

    def run(
        self,
        data: _Data,
        *,
        threads: int | None = None,
        format: Literal["parquet", "csv", "jsonl", "arrow"] | None = None,
    ) -> pyarrow.Table:
        """Each profile's segments: the key, a bool column per segment, a string column per priority group."""
    def sizes(
        self,
        data: _Data,
        *,
        threads: int | None = None,
        format: Literal["parquet", "csv", "jsonl", "arrow"] | None = None,
        overlap: bool = False,
    ) -> Sizes:
        """How many profiles each segment holds and each priority group assigns."""
    def sql(self, dialect: str = "duckdb", *, table: str = "profiles") -> str:
        """The rules as one SQL statement for ``dialect``, selecting from ``table``."""
    @property
    def segments(self) -> list[str]: ...
    @property
    def priorities(self) -> list[str]: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def key(self) -> str | None: ...
    @property
    def as_of(self) -> datetime.datetime | None: ...
    @property
    def params(self) -> list[tuple[str, str]]: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...
    @property
    def engine(self) -> Literal["auto", "jit", "interp"]: ...

def check(
    rules: _Rules,
    *,
    path: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
) -> list[Diagnostic]:
    """The diagnostics of Seg rules, errors and warnings; empty when clean."""

def compile(
    rules: _Rules,
    *,
    path: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    as_of: _Instant | None = None,
    params: dict[str, _ParamValue] | None = None,
    segments: str | Sequence[str] | None = None,
    timezone: str | datetime.tzinfo | None = None,
    optimize: bool = True,
    engine: Literal["auto", "jit", "interp"] = "auto",
) -> Program:
    """Checks rules and prepares them for runs."""
