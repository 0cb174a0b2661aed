"""Join keys between tables, as wandb's ``Table`` has them (docs/media-refs.md, "Table keys").

``Table.get_index()`` / ``iterrows()`` hand out row numbers that know their table
(``TableIndex``); ``set_pk(col)`` turns a column's strings into ``PrimaryKeyValue`` s and
``set_fk(col, table, table_col)`` into ``ForeignKeyValue`` s. A column that receives one of these
values becomes a key column itself — an index column of that table, or a foreign key into the
primary key's table — and every value in it, before and after, is wrapped the same way; ``None``
is refused there. The values are plain ints and strs to everything else (equality, hashing,
JSON): ``item()`` is the plain value, which is what the table file stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class TableIndex(int):
    """A row number of ``_table`` (wandb's ``_TableIndex``)."""

    _table: Any

    def __new__(cls, value: int, table: Any) -> TableIndex:
        obj = super().__new__(cls, value)
        obj._table = table
        return obj

    def item(self) -> int:
        return int(self)

    def __reduce__(self) -> Any:  # copies and pickles are plain ints, not a copy of the whole table
        return (int, (int(self),))


class _KeyStr(str):
    _table: Any
    _col_name: str

    def __new__(cls, value: str, table: Any, col_name: str) -> _KeyStr:
        obj = super().__new__(cls, value)
        obj._table, obj._col_name = table, col_name
        return obj

    def item(self) -> str:
        return str(self)

    def __reduce__(self) -> Any:
        return (str, (str(self),))


class PrimaryKeyValue(_KeyStr):
    """A value of ``_table``'s primary-key column ``_col_name`` (wandb's ``_PrimaryKeyValue``)."""


class ForeignKeyValue(_KeyStr):
    """A value pointing at ``_table``'s column ``_col_name`` (wandb's ``_ForeignKeyValue``)."""


KEY_TYPES = (TableIndex, PrimaryKeyValue, ForeignKeyValue)


@dataclass(frozen=True)
class KeySpec:
    kind: str  # "index", "pk" or "fk"
    table: Any
    column: str | None

    @staticmethod
    def of(value: Any) -> KeySpec:
        """The key column a key value makes of the column it is put in."""
        if isinstance(value, TableIndex):
            return KeySpec("index", value._table, None)
        return KeySpec("fk", value._table, value._col_name)  # a primary key elsewhere is a foreign key here

    def wrap(self, value: Any, where: str) -> Any:
        if value is None:
            raise TypeError(f"Table: {where} is None, but the column is a {_NAMES[self.kind]} column; "
                            "key columns hold no None")
        if self.kind == "index":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Table: {where} holds {value!r}; an index column holds row numbers")
            return TableIndex(int(value), self.table)
        if not isinstance(value, str):
            return value  # runyard's integer keys stay integers
        cls = PrimaryKeyValue if self.kind == "pk" else ForeignKeyValue
        assert self.column is not None
        return cls(str(value), self.table, self.column)


_NAMES = {"index": "table-index", "pk": "primary-key", "fk": "foreign-key"}


def set_key(table: Any, j: int, spec: KeySpec) -> None:
    """Make column ``j`` of ``table`` a key column and wrap the values it already holds."""
    name = table.columns[j]
    wrapped = [spec.wrap(row[j], f"row {i}, column {name!r}") for i, row in enumerate(table.data)]
    for row, value in zip(table.data, wrapped, strict=True):
        row[j] = value
    table._keys[j] = spec


def wrap_row(table: Any, row: list[Any]) -> None:
    """Wrap the cells of ``row`` (about to be appended) that fall in key columns, in place."""
    index = len(table.data)
    for j, spec in table._keys.items():
        row[j] = spec.wrap(row[j], f"row {index}, column {table.columns[j]!r}")
