"""``Table`` (docs/media-refs.md, ``table-file``): rows of scalars and media, stored as one JSON file per logged table.

File format (``media/table/<sha256>.table.json``), read back by ``types/views.py``::

    {"columns": ["a", "b"], "data": [[1, "x"], [{"$float": "NaN"}, null]]}

Values JSON cannot hold exactly (non-finite floats, integers past 2^53, bytes) are written in the
tagged encoding of ``runyard.jsonvalue`` (at any depth: in cells, lists and dicts) and never lost;
files written by earlier versions (``{"_type": "float", "value": "NaN"}``) still read back.
A media cell is the typed reference its own ``to_ref`` returns (its file is stored beside).

Cells are checked and converted on the caller's thread (numpy scalars become Python numbers, a
pandas ``NaT``/``NA`` becomes ``None``), so a user's mistake is reported where it was made; the
JSON is encoded on the writer thread.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from .. import jsonvalue
from ..errors import RunyardError
from . import table_keys
from .base import Media, MediaStore, plain_scalar
from .table_keys import KEY_TYPES, KeySpec, TableIndex

DEFAULT_COLUMNS = ("Input", "Output", "Expected")
# Arrays in cells are kept as nested lists up to this many elements.
MAX_CELL_ARRAY = 10_000


def _kind(value: Any) -> str | None:
    """The column kind of a converted cell (``None`` for a missing value, which fits any column)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, Media):
        return str(type(value)._type)
    return type(value).__name__


_PLAIN_KIND: dict[type, str | None] = {bool: "bool", int: "number", float: "number", str: "string",
                                        type(None): None}
_NOT_PLAIN = "not plain"


def _where(loc: tuple[int, str]) -> str:
    return f"row {loc[0]}, column {loc[1]!r}"


def _convert(value: Any, loc: tuple[int, str]) -> Any:
    """Turn one cell into a JSON-able Python value or a ``Media``; raise a precise error otherwise."""
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, Media):
        return value
    if isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.str_):
            return str(value)
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else str(value)
    plain = plain_scalar(value)
    if plain is not None:
        return plain
    if isinstance(value, np.ndarray):
        if value.size > MAX_CELL_ARRAY:
            raise ValueError(
                f"Table: {_where(loc)} holds an array of {value.size} elements; cells hold at most "
                f"{MAX_CELL_ARRAY} (log large arrays as a Histogram or a separate value)"
            )
        return _convert(value.tolist(), loc)
    if isinstance(value, (list, tuple)):
        return [_convert(v, loc) for v in value]
    if isinstance(value, dict):
        return {str(k): _convert(v, loc) for k, v in value.items()}
    module = type(value).__module__
    if module.startswith("pandas"):
        name = type(value).__name__
        if name in ("NaTType", "NAType"):
            return None
        if hasattr(value, "isoformat"):  # Timestamp
            return str(value.isoformat())
        if name == "Timedelta":
            return float(value.total_seconds())
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(
        f"Table: {_where(loc)} has a value of type {type(value).__module__}.{type(value).__qualname__}; "
        "cells accept numbers, strings, bools, None, lists, dicts, numpy scalars/arrays and "
        "runyard media (Image, Audio, ...)"
    )


def encode_cell(value: Any, store: MediaStore) -> Any:
    """JSON-ready form of a converted cell: media turned into refs, everything else in the
    tagged encoding of ``runyard.jsonvalue`` (non-finite floats, big integers, bytes)."""
    if isinstance(value, Media):
        return value.to_ref(store)
    if isinstance(value, list):
        return [encode_cell(v, store) for v in value]
    if isinstance(value, dict):
        out = {k: encode_cell(v, store) for k, v in value.items()}
        return {jsonvalue.OBJECT: out} if len(out) == 1 and next(iter(out)) in jsonvalue.TAGS else out
    return jsonvalue.encode(value)


LOG_MODES = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")


class TableLengthError(ValueError, AssertionError):
    """A column of the wrong length. An ``AssertionError`` too, as wandb's is."""


class TableArgumentError(TypeError, AssertionError):
    """A ``Table`` argument in the wrong place. An ``AssertionError`` too, because that is what
    wandb raises there and what code written for wandb catches."""


def _check_columns_argument(columns: Any) -> None:
    """``Table(rows)`` or ``Table(df)``: the first argument is ``columns``, as in wandb. Taking rows
    or a DataFrame for column names would build an empty or wrong table without a word."""
    if columns is None:
        return
    if _is_dataframe(columns):
        raise TableArgumentError(
            "Table: the first argument is the column names; pass a DataFrame as Table(dataframe=df)")
    if isinstance(columns, np.ndarray) and columns.ndim != 1:
        raise TableArgumentError(
            "Table: the first argument is the column names; pass an array of rows as Table(data=rows)")
    if isinstance(columns, Sequence) and not isinstance(columns, (str, bytes)):
        if any(isinstance(c, (list, tuple, np.ndarray, dict)) for c in columns):
            raise TableArgumentError(
                "Table: the first argument is the column names, and it holds rows; pass the rows as "
                "Table(columns=[...], data=rows)"
            )


def _is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ == "DataFrame"


class Table(Media):
    """A table of rows: ``Table(columns=None, data=None, rows=None, dataframe=None, ...)``.

    ``data`` (or its alias ``rows``) is a sequence of rows or a 2-D numpy array; ``dataframe`` a
    pandas DataFrame. Without ``columns`` the columns are ``["Input", "Output", "Expected"]``
    (or ``col0, col1, ...`` when the rows are of another width). At most ``max_rows`` rows
    (``Table.MAX_ROWS`` = 10,000 by default; raise it per table or on the class). With
    ``allow_mixed_types=False`` a column holds one kind of value (numbers, strings, bools, a
    media type, ...; ``None`` fits any column).

    Reference: ``{"_type": "table-file", "path", "sha256", "size", "columns", "nrows", "ncols",
    "column_types"}``.
    """

    _type = "table-file"
    MAX_ROWS: ClassVar[int] = 10_000

    def __init__(
        self,
        columns: Sequence[Any] | None = None,
        data: Any = None,
        rows: Any = None,
        dataframe: Any = None,
        max_rows: int | None = None,
        allow_mixed_types: bool = False,
        log_mode: str | None = "IMMUTABLE",
    ) -> None:
        # wandb's log modes (docs/wandb-compat.md): runyard stores the whole table each time it is
        # logged, in every mode; INCREMENTAL keeps wandb's rule that columns are fixed.
        assert log_mode in LOG_MODES, f"Invalid log_mode: {log_mode}. Must be one of {list(LOG_MODES)}"
        self.log_mode = log_mode
        if max_rows is None:
            max_rows = type(self).MAX_ROWS
        if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
            raise ValueError(f"Table: max_rows must be a positive integer, got {max_rows!r}")
        self.max_rows = max_rows
        self.allow_mixed_types = bool(allow_mixed_types)
        _check_columns_argument(columns)
        self._types: dict[str, Any] = {}  # cast(), set_pk(), set_fk()
        self._keys: dict[int, KeySpec] = {}  # key columns by index (types/table_keys.py)
        if data is not None and rows is not None:
            raise ValueError("Table: pass the rows as data= or rows=, not both")
        if rows is not None:
            data = rows
        if data is not None and _is_dataframe(data):
            if dataframe is not None:
                raise ValueError("Table: pass one DataFrame, as data= or dataframe=, not both")
            dataframe, data = data, None
        if dataframe is not None and not _is_dataframe(dataframe):
            raise TableArgumentError(f"Table: dataframe= takes a pandas DataFrame, got {type(dataframe).__name__}; "
                                     "pass rows as Table(data=rows)")
        if dataframe is not None and data is not None:
            raise ValueError("Table: pass rows (data=) or a DataFrame (dataframe=), not both")

        self.columns: list[str] = []
        self.data: list[list[Any]] = []
        self._kinds: list[str | None] = []
        if dataframe is not None:
            self._init_dataframe(dataframe, columns)
            return
        row_list = self._row_list(data)
        if columns is None:
            width = len(row_list[0]) if row_list else len(DEFAULT_COLUMNS)
            columns = list(DEFAULT_COLUMNS) if width == len(DEFAULT_COLUMNS) else [
                f"col{i}" for i in range(width)
            ]
        self._set_columns(columns)
        self._check_count(len(row_list))
        for row in row_list:
            self._append(row)

    # -- construction helpers -------------------------------------------------------------------

    @staticmethod
    def _row_list(data: Any) -> list[Sequence[Any]]:
        if data is None:
            return []
        if isinstance(data, np.ndarray):
            if data.ndim != 2:
                raise ValueError(f"Table: a numpy array of data must be 2-D (rows × columns), got shape "
                                 f"{data.shape}")
            return list(data.tolist())
        if isinstance(data, (str, bytes, dict)) or not isinstance(data, Iterable):
            raise TypeError(f"Table: data must be a list of rows, got {type(data).__name__}")
        out: list[Sequence[Any]] = []
        for i, row in enumerate(data):
            if type(row) is list or type(row) is tuple:
                out.append(row)
                continue
            if isinstance(row, np.ndarray):
                row = row.tolist()
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
                raise TypeError(
                    f"Table: row {i} must be a list or tuple of cells, got {type(row).__name__} "
                    "(data is a list of rows: [[a, b], [c, d]])"
                )
            out.append(row)
        return out

    def _init_dataframe(self, df: Any, columns: Sequence[Any] | None) -> None:
        names = [str(c) for c in df.columns]
        if columns is not None and [str(c) for c in columns] != names:
            raise ValueError("Table: columns= must match the DataFrame's columns (or be left out)")
        self._set_columns(names)
        nrows = len(df.index)
        self._check_count(nrows)
        cols = []
        for j in range(len(names)):
            series = df.iloc[:, j]
            values = series.tolist()  # Python scalars
            if getattr(series.dtype, "kind", "O") not in "fc":
                # A missing value in a non-float column (None, NaN in a string column, NaT) is None;
                # in a float column NaN stays a number, as logged.
                missing = series.isna().tolist()
                values = [None if m else v for v, m in zip(values, missing, strict=True)]
            cols.append(values)
        for i in range(nrows):
            self._append([col[i] for col in cols])

    def _set_columns(self, columns: Sequence[Any]) -> None:
        if isinstance(columns, (str, bytes)):
            raise TypeError("Table: columns must be a list of names, got a single string")
        names = [str(c) for c in columns]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"Table: column name {name!r} appears twice; column names must be unique")
            seen.add(name)
        self.columns = names
        self._kinds = [None] * len(names)

    def _check_count(self, n: int) -> None:
        if n > self.max_rows:
            raise ValueError(
                f"Table: {n} rows exceed the limit of max_rows={self.max_rows}; pass "
                f"Table(..., max_rows={n}) (or set Table.MAX_ROWS) to allow more"
            )

    def _append(self, row: Sequence[Any]) -> None:
        index = len(self.data)
        if len(row) != len(self.columns):
            raise ValueError(
                f"Table: row {index} has {len(row)} values but the table has {len(self.columns)} "
                f"columns {self.columns}"
            )
        converted = list(row)
        if self._keys:
            table_keys.wrap_row(self, converted)
        kinds = self._kinds
        new_kinds: list[str | None] | None = None  # committed only when the whole row is good
        new_keys: list[int] = []  # columns a key value makes key columns
        for j, cell in enumerate(converted):
            kind = _PLAIN_KIND.get(type(cell), _NOT_PLAIN)
            if kind == _NOT_PLAIN:
                if isinstance(cell, KEY_TYPES):
                    if j not in self._keys:
                        new_keys.append(j)
                else:
                    cell = converted[j] = _convert(cell, (index, self.columns[j]))
                kind = _kind(cell)
            if kind is None or kind == kinds[j]:
                continue
            if new_kinds is None:
                new_kinds = list(kinds)
            current = new_kinds[j]
            if current is None:
                new_kinds[j] = kind
            elif current != kind and current != "mixed":
                if not self.allow_mixed_types:
                    raise TypeError(
                        f"Table: row {index}, column {self.columns[j]!r} holds a {kind} but the "
                        f"column holds {current} values; pass Table(..., allow_mixed_types=True) "
                        "to allow mixed columns"
                    )
                new_kinds[j] = "mixed"
        for j in new_keys:
            spec = KeySpec.of(converted[j])
            table_keys.set_key(self, j, spec)
            converted[j] = spec.wrap(converted[j], f"row {index}, column {self.columns[j]!r}")
        if new_kinds is not None:
            self._kinds = new_kinds
        self.data.append(converted)

    # -- the wandb-shaped API ---------------------------------------------------------------------

    def add_data(self, *row: Any) -> None:
        """Append one row (one value per column)."""
        self._check_count(len(self.data) + 1)
        self._append(row)

    def add_row(self, *row: Any) -> None:
        """Alias of ``add_data`` (wandb's older name)."""
        self.add_data(*row)

    def add_column(self, name: str, data: Sequence[Any] | np.ndarray, optional: bool = False) -> None:
        """Append a column; ``data`` has one value per existing row (``optional`` is accepted for
        wandb compatibility: ``None`` is allowed in every column)."""
        self._mutable_columns("add_column")
        name = str(name)
        if name in self.columns:
            raise ValueError(f"Table: column {name!r} already exists")
        if isinstance(data, np.ndarray):
            data = data.tolist()
        values = list(data)
        if self.data and len(values) != len(self.data):
            raise TableLengthError(
                f"Table: column {name!r} has {len(values)} values but the table has {len(self.data)} rows"
            )
        if not self.data and self.columns:
            raise ValueError(
                f"Table: cannot add column {name!r} with {len(values)} values to a table that has "
                "columns but no rows"
            )
        self._check_count(len(values))
        converted = [v if isinstance(v, KEY_TYPES) else _convert(v, (i, name)) for i, v in enumerate(values)]
        kind: str | None = None
        for i, cell in enumerate(converted):
            k = _kind(cell)
            if k is None or k == kind:
                continue
            if kind is None:
                kind = k
            elif not self.allow_mixed_types:
                raise TypeError(
                    f"Table: row {i}, column {name!r} holds a {k} but the column holds {kind} values; "
                    "pass Table(..., allow_mixed_types=True) to allow mixed columns"
                )
            else:
                kind = "mixed"
        key = next((v for v in converted if isinstance(v, KEY_TYPES)), None)
        if key is not None:  # a column of key values joins their table (types/table_keys.py)
            spec = KeySpec.of(key)
            converted = [spec.wrap(v, f"row {i}, column {name!r}") for i, v in enumerate(converted)]
            self._keys[len(self.columns)] = spec
        self.columns.append(name)
        self._kinds.append(kind)
        if self.data:
            # New row lists rather than in-place appends: a snapshot taken earlier stays intact.
            self.data = [row + [cell] for row, cell in zip(self.data, converted, strict=True)]
        else:
            self.data = [[cell] for cell in converted]

    def add_computed_columns(self, fn: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
        """Add the columns ``fn(index, row_as_dict)`` returns for every row (wandb's API)."""
        self._mutable_columns("add_computed_columns")
        computed = [fn(i, dict(zip(self.columns, row, strict=True))) for i, row in enumerate(self.data)]
        if not computed:
            return
        names = list(computed[0])
        for i, extra in enumerate(computed):
            if not isinstance(extra, dict) or list(extra) != names:
                raise ValueError(
                    f"Table.add_computed_columns: row {i} returned {extra!r}; every row must return a dict "
                    f"with the same keys {names}"
                )
        for name in names:
            self.add_column(name, [extra[name] for extra in computed])

    def _mutable_columns(self, operation: str) -> None:
        if getattr(self, "log_mode", None) == "INCREMENTAL":
            raise RunyardError(
                f"Operation '{operation}' is not supported for tables with log_mode='INCREMENTAL'. "
                "Use a different log mode like 'MUTABLE' or 'IMMUTABLE'."
            )

    def _eq_debug(self, other: Any, should_assert: bool = False) -> bool:
        """Whether ``other`` is a table with the same columns, column kinds and cells; with
        ``should_assert``, an ``AssertionError`` naming the first difference (wandb's helper)."""
        checks: list[tuple[Callable[[], bool], Callable[[], str]]] = [
            (lambda: isinstance(other, Table), lambda: f"Found type {type(other)}, expected {Table}"),
            (lambda: len(self.data) == len(other.data),
             lambda: f"Found {len(other.data)} rows, expected {len(self.data)}"),
            (lambda: self.columns == other.columns,
             lambda: f"Found columns {other.columns}, expected {self.columns}"),
            (lambda: self.column_types == other.column_types,
             lambda: f"Found column types {other.column_types}, expected {self.column_types}"),
        ]
        for ok, why in checks:
            if not ok():
                assert not should_assert, why()
                return False
        for i, (mine, theirs) in enumerate(zip(self.data, other.data, strict=True)):
            for j, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                same = a == b
                if isinstance(same, np.ndarray):
                    same = bool(same.all())
                if not same:
                    assert not should_assert, f"Unequal data at row {i} column {j}: found {b!r}, expected {a!r}"
                    return False
        return True

    def __eq__(self, other: object) -> bool:
        return self._eq_debug(other)

    def __ne__(self, other: object) -> bool:
        return not self._eq_debug(other)

    __hash__ = Media.__hash__

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The values of column ``name`` as a list (``convert_to="numpy"``: a numpy array)."""
        if name not in self.columns:
            raise KeyError(f"Table: no column {name!r}; the columns are {self.columns}")
        j = self.columns.index(name)
        values = [row[j] for row in self.data]
        if convert_to == "numpy":
            return np.array(values)
        if convert_to is not None:
            raise ValueError(f"Table.get_column: convert_to must be None or 'numpy', got {convert_to!r}")
        return values

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` for every row, as wandb's ``Table.iterrows``; the index knows its table
        (a column of them joins this table, ``types/table_keys.py``)."""
        for i, row in enumerate(self.data):
            yield TableIndex(i, self), row

    def get_dataframe(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs ``runyard[pandas]``; media cells stay objects)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "Table.get_dataframe() needs pandas; install it with: pip install 'runyard[pandas]'"
            ) from e
        return pd.DataFrame([list(row) for row in self.data], columns=list(self.columns))

    def get_index(self) -> list[int]:
        """Row numbers ``0 .. n-1``, each knowing its table (``types/table_keys.py``)."""
        return [TableIndex(i, self) for i in range(len(self.data))]

    def cast(self, col_name: str, dtype: Any, optional: bool = False) -> None:
        """Declare column ``col_name``'s type: a Python type (``int``, ``str``, ...), a runyard
        media class, or a kind name (``"number"``, ``"string"``, ``"bool"``, ...). Every value must
        fit (``None`` too when ``optional``); a value that does not is a ``TypeError`` naming it."""
        j = self._column_index(col_name)
        for i, row in enumerate(self.data):
            v = row[j]
            if v is None:
                if not optional:
                    raise TypeError(f"Table.cast: row {i}, column {col_name!r} is None; pass optional=True")
                continue
            if not _fits(v, dtype):
                raise TypeError(f"Table.cast: row {i}, column {col_name!r} holds {v!r} ({type(v).__name__}), "
                                f"which is not {_type_name(dtype)}")
        self._types[col_name] = (dtype, optional)

    def set_pk(self, col_name: str) -> None:
        """Make ``col_name`` the primary key: its values are unique strings or integers."""
        values = self.get_column(col_name)
        if any(not isinstance(v, (str, int)) or isinstance(v, bool) for v in values):
            raise TypeError(f"Table.set_pk: column {col_name!r} must hold strings or integers")
        if len(set(values)) != len(values):
            raise ValueError(f"Table.set_pk: column {col_name!r} has repeated values; a primary key is unique")
        table_keys.set_key(self, self.columns.index(col_name), KeySpec("pk", self, col_name))
        self._types[col_name] = ("pk", False)

    def set_fk(self, col_name: str, table: Table, table_col: str) -> None:
        """Make ``col_name`` a foreign key into ``table``'s column ``table_col``: each value is one
        of that column's values."""
        allowed = set(table.get_column(table_col))
        missing = [v for v in self.get_column(col_name) if v is not None and v not in allowed]
        if missing:
            raise ValueError(f"Table.set_fk: {missing[:3]} in column {col_name!r} are not in column "
                             f"{table_col!r} of the other table")
        table_keys.set_key(self, self.columns.index(col_name), KeySpec("fk", table, table_col))
        self._types[col_name] = (("fk", table_col), False)

    def _column_index(self, name: str) -> int:
        if name not in self.columns:
            raise KeyError(f"Table: no column {name!r}; the columns are {self.columns}")
        return self.columns.index(name)

    def snapshot(self) -> Table:
        """A copy sharing no mutable state with this table (rows are copied shallowly).

        Logging a table and then adding rows must not change what was logged; the SDK (or a
        ``CustomChart``) takes a snapshot on the caller's thread.
        """
        copy = Table.__new__(Table)
        copy.max_rows = self.max_rows
        copy.allow_mixed_types = self.allow_mixed_types
        copy.log_mode = getattr(self, "log_mode", "IMMUTABLE")
        copy.columns = list(self.columns)
        copy.data = [list(row) for row in self.data]
        copy._kinds = list(self._kinds)
        copy._types = dict(getattr(self, "_types", {}))
        copy._keys = dict(getattr(self, "_keys", {}))
        return copy

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Table(columns={self.columns!r}, nrows={len(self.data)})"

    @property
    def column_types(self) -> dict[str, str]:
        """Each column's kind: number, string, bool, list, dict, a media type, mixed or none."""
        return {name: kind or "none" for name, kind in zip(self.columns, self._kinds, strict=True)}

    # -- encoding (writer thread) -----------------------------------------------------------------

    def to_json_bytes(self, store: MediaStore) -> bytes:
        """The table file's bytes (media cells are stored through ``store`` as a side effect)."""
        doc = {"columns": self.columns, "data": [[encode_cell(c, store) for c in row] for row in self.data]}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")

    def to_ref(self, store: MediaStore) -> dict[str, Any]:
        ref = store.put_bytes("table", self.to_json_bytes(store), "table.json")
        return {
            "_type": "table-file",
            **ref,
            "columns": list(self.columns),
            "nrows": len(self.data),
            "ncols": len(self.columns),
            "column_types": self.column_types,
        }


_KIND_TYPES: dict[str, tuple[type, ...]] = {"number": (int, float), "string": (str,), "bool": (bool,),
                                            "list": (list,), "dict": (dict,)}


def _fits(value: Any, dtype: Any) -> bool:
    if isinstance(dtype, str):
        kinds = _KIND_TYPES.get(dtype)
        if kinds is None:
            return _kind(value) == dtype
        return isinstance(value, kinds) and (dtype == "bool" or not isinstance(value, bool))
    if isinstance(dtype, type):
        if dtype is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        return isinstance(value, dtype)
    return True  # a wandb dtype object runyard does not model: accepted as it is


def _type_name(dtype: Any) -> str:
    return dtype if isinstance(dtype, str) else getattr(dtype, "__name__", repr(dtype))
