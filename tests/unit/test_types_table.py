"""Table (docs/media-refs.md, table-file): rows in, a JSON file out that reads back with every value, NaN included."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runyard import jsonvalue
from runyard.types import Histogram, Media, MediaStore, Table


def _stored(tmp_path: Path, table: Table) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = table.to_ref(MediaStore(tmp_path))
    doc = json.loads((tmp_path / ref["path"]).read_bytes())
    return ref, doc


def test_reference_method_1_rows_and_columns(tmp_path: Path) -> None:
    data = [["I love my phone", "1", "1"], ["My phone sucks", "0", "-1"]]
    ref, doc = _stored(tmp_path, Table(data=data, columns=["Text", "Predicted Label", "True Label"]))
    assert doc == {"columns": ["Text", "Predicted Label", "True Label"], "data": data}
    assert ref["_type"] == "table-file"
    assert ref["path"].startswith("media/table/") and ref["path"].endswith(".table.json")
    assert (ref["nrows"], ref["ncols"]) == (2, 3)
    assert ref["columns"] == ["Text", "Predicted Label", "True Label"]
    assert ref["column_types"] == {"Text": "string", "Predicted Label": "string", "True Label": "string"}
    raw = (tmp_path / ref["path"]).read_bytes()
    assert ref["size"] == len(raw)
    import hashlib

    assert ref["sha256"] == hashlib.sha256(raw).hexdigest()


def test_reference_method_2_add_data_and_default_columns(tmp_path: Path) -> None:
    table = Table(columns=["Text", "Predicted Label", "True Label"])
    table.add_data("I love my phone", "1", "1")
    table.add_data("My phone sucks", "0", "-1")
    assert len(table) == 2
    assert Table().columns == ["Input", "Output", "Expected"]
    default = Table()
    default.add_data("a", "b", "c")
    _, doc = _stored(tmp_path, default)
    assert doc == {"columns": ["Input", "Output", "Expected"], "data": [["a", "b", "c"]]}


def test_nan_and_infinities_survive_as_markers(tmp_path: Path) -> None:
    table = Table(columns=["v", "nested"], data=[
        [float("nan"), [float("inf"), 1.5]],
        [float("-inf"), {"x": float("nan")}],
        [np.float32("nan"), None],
        [2.5, None],
    ], allow_mixed_types=True)
    ref, doc = _stored(tmp_path, table)
    text = (tmp_path / ref["path"]).read_text()
    assert "NaN" not in text.replace('"NaN"', "")  # no bare NaN tokens: strict JSON
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare JSON constant {c}"))
    nan = {"$float": "NaN"}
    assert doc["data"] == [
        [nan, [{"$float": "Infinity"}, 1.5]],
        [{"$float": "-Infinity"}, {"x": nan}],
        [nan, None],
        [2.5, None],
    ]


def test_numpy_scalars_bools_none_and_arrays_become_plain_values(tmp_path: Path) -> None:
    table = Table(columns=["i", "f", "b", "s", "arr"], data=[
        [np.int64(3), np.float32(0.5), np.bool_(True), np.str_("x"), np.arange(3)],
        [None, None, False, None, None],
    ])
    ref, doc = _stored(tmp_path, table)
    assert doc["data"] == [[3, 0.5, True, "x", [0, 1, 2]], [None, None, False, None, None]]
    assert ref["column_types"] == {"i": "number", "f": "number", "b": "bool", "s": "string", "arr": "list"}


def test_subclasses_of_plain_types_are_stored_as_plain_values() -> None:
    import enum

    class Color(enum.IntEnum):
        RED = 1

    table = Table(columns=["c", "f"], data=[[Color.RED, np.float64(0.5)]])
    assert [type(v) for v in table.data[0]] == [int, float]


def test_numpy_2d_array_as_data(tmp_path: Path) -> None:
    _, doc = _stored(tmp_path, Table(columns=["x", "y"], data=np.array([[1.0, 2.0], [3.0, 4.0]])))
    assert doc["data"] == [[1.0, 2.0], [3.0, 4.0]]


def test_rows_keyword_is_an_alias_of_data() -> None:
    assert Table(columns=["a"], rows=[[1], [2]]).get_column("a") == [1, 2]


def test_constructor_copies_the_rows(tmp_path: Path) -> None:
    rows = [[1, "a"], [2, "b"]]
    table = Table(columns=["n", "s"], data=rows)
    rows[0][0] = 99
    rows.append([3, "c"])
    _, doc = _stored(tmp_path, table)
    assert doc["data"] == [[1, "a"], [2, "b"]]


def test_media_cells_are_nested_refs(tmp_path: Path) -> None:
    class Stub(Media):
        _type = "stub-file"

        def to_ref(self, store: MediaStore) -> dict[str, Any]:
            return {"_type": "stub-file", **store.put_bytes("stub", b"hello", "txt")}

    table = Table(columns=["name", "hist", "thing"])
    table.add_data("first", Histogram([1, 2, 3], num_bins=3), Stub())
    ref, doc = _stored(tmp_path, table)
    cell_hist, cell_stub = doc["data"][0][1], doc["data"][0][2]
    assert cell_hist["_type"] == "histogram" and cell_hist["values"] == [1.0, 1.0, 1.0]
    assert cell_stub["_type"] == "stub-file"
    assert (tmp_path / cell_stub["path"]).read_bytes() == b"hello"
    assert ref["column_types"]["thing"] == "stub-file"


def test_image_cells_from_the_image_type(tmp_path: Path) -> None:
    image_mod = pytest.importorskip("runyard.types.image")
    img = image_mod.Image(np.zeros((4, 4, 3), dtype=np.uint8), caption="black")
    table = Table(columns=["img", "label"], data=[[img, "zero"]])
    _, doc = _stored(tmp_path, table)
    cell = doc["data"][0][0]
    assert cell["_type"] == "image-file"
    assert (tmp_path / cell["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dataframe_input(tmp_path: Path) -> None:
    df = pd.DataFrame({
        "a": [1, 2, 3],
        "b": [0.5, np.nan, np.inf],
        "c": ["x", None, "z"],
        "d": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
    })
    table = Table(dataframe=df)
    assert table.columns == ["a", "b", "c", "d"]
    _, doc = _stored(tmp_path, table)
    assert [row[0] for row in doc["data"]] == [1, 2, 3]
    assert doc["data"][1][1] == {"$float": "NaN"}
    assert doc["data"][2][1] == {"$float": "Infinity"}
    assert [row[2] for row in doc["data"]] == ["x", None, "z"]
    assert doc["data"][0][3].startswith("2024-01-01") and doc["data"][1][3] is None
    # a DataFrame passed as data= is taken as a DataFrame too (wandb accepts both)
    assert Table(data=df).columns == ["a", "b", "c", "d"]


def test_add_column_and_get_column() -> None:
    table = Table(columns=["x"], data=[[1], [2], [3]])
    table.add_column("y", np.array([10, 20, 30]))
    assert table.columns == ["x", "y"]
    assert table.get_column("y") == [10, 20, 30]
    np.testing.assert_array_equal(table.get_column("x", convert_to="numpy"), np.array([1, 2, 3]))
    empty = Table(columns=[])
    empty.add_column("only", ["a", "b"])
    assert empty.data == [["a"], ["b"]]


def test_add_computed_columns_and_optional_flag() -> None:
    table = Table(columns=["x"], data=[[1], [2]])
    table.add_computed_columns(lambda i, row: {"double": row["x"] * 2, "index": i})
    assert table.columns == ["x", "double", "index"] and table.data == [[1, 2, 0], [2, 4, 1]]
    table.add_column("maybe", [None, 3], optional=True)
    assert table.get_column("maybe") == [None, 3]
    with pytest.raises(ValueError, match="every row must return a dict with the same keys"):
        table.add_computed_columns(lambda i, row: {"a": 1} if i == 0 else {"b": 2})


def test_iterrows_and_get_dataframe() -> None:
    table = Table(columns=["x", "y"], data=[[1, "a"], [2, "b"]])
    assert list(table.iterrows()) == [(0, [1, "a"]), (1, [2, "b"])]
    df = table.get_dataframe()
    assert list(df.columns) == ["x", "y"] and df["x"].tolist() == [1, 2]


def test_snapshot_is_not_changed_by_later_rows() -> None:
    table = Table(columns=["x"], data=[[1]])
    snap = table.snapshot()
    table.add_data(2)
    table.add_column("y", [5, 6])
    assert snap.columns == ["x"] and snap.data == [[1]]


def test_content_addressed_same_table_stored_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    a = Table(columns=["x"], data=[[1], [2]]).to_ref(store)
    b = Table(columns=["x"], data=[[1], [2]]).to_ref(store)
    assert a["path"] == b["path"]
    assert len(list((tmp_path / "media" / "table").iterdir())) == 1


def test_max_rows_limit_configurable_upwards(tmp_path: Path) -> None:
    rows = [[i] for i in range(10_001)]
    big = Table(columns=["i"], data=rows, max_rows=20_000)
    assert len(big) == 10_001
    ref = big.to_ref(MediaStore(tmp_path))
    assert ref["nrows"] == 10_001


# -- bad inputs ------------------------------------------------------------------------------------


def test_row_of_wrong_width_names_row_and_both_widths() -> None:
    with pytest.raises(ValueError, match=r"row 1 has 2 values but the table has 3 columns"):
        Table(columns=["a", "b", "c"], data=[[1, 2, 3], [4, 5]])
    table = Table(columns=["a", "b"])
    table.add_data(1, 2)
    with pytest.raises(ValueError, match=r"row 1 has 3 values but the table has 2 columns"):
        table.add_data(1, 2, 3)
    assert len(table) == 1  # the bad row was not added


def test_past_the_row_limit_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"10001 rows exceed the limit of max_rows=10000.*max_rows=10001"):
        Table(columns=["i"], data=[[i] for i in range(10_001)])
    table = Table(columns=["i"], data=[[i] for i in range(3)], max_rows=3)
    with pytest.raises(ValueError, match=r"4 rows exceed the limit of max_rows=3"):
        table.add_data(4)


def test_class_wide_max_rows_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Table, "MAX_ROWS", 2)
    with pytest.raises(ValueError, match="max_rows=2"):
        Table(columns=["i"], data=[[1], [2], [3]])


def test_mixed_types_in_a_column_are_an_error_unless_allowed() -> None:
    with pytest.raises(TypeError, match=r"row 1, column 'v' holds a string but the column holds number"):
        Table(columns=["v"], data=[[1], ["one"]])
    mixed = Table(columns=["v"], data=[[1], ["one"], [None]], allow_mixed_types=True)
    assert mixed.column_types == {"v": "mixed"}
    # ints and floats are both numbers; None fits any column
    assert Table(columns=["v"], data=[[1], [2.5], [None]]).column_types == {"v": "number"}


def test_unsupported_cell_type_names_row_column_and_type() -> None:
    with pytest.raises(TypeError, match=r"row 0, column 'b' has a value of type builtins.object"):
        Table(columns=["a", "b"], data=[[1, object()]])
    table = Table(columns=["a", "b"])
    with pytest.raises(TypeError, match="row 0, column 'b'"):
        table.add_data(1, object())
    table.add_data("x", 2)  # the rejected row left neither a row nor a column type behind
    assert table.data == [["x", 2]] and table.column_types == {"a": "string", "b": "number"}


def test_other_bad_inputs() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        Table(columns=["a", "a"])
    with pytest.raises(TypeError, match="row 0 must be a list or tuple"):
        Table(columns=["a"], data=["abc"])
    with pytest.raises(ValueError, match="not both"):
        Table(data=[[1]], rows=[[1]])
    with pytest.raises(ValueError, match="column 'y' has 2 values but the table has 3 rows"):
        Table(columns=["x"], data=[[1], [2], [3]]).add_column("y", [1, 2])
    with pytest.raises(KeyError, match="no column 'z'"):
        Table(columns=["x"]).get_column("z")
    with pytest.raises(ValueError, match="max_rows must be a positive integer"):
        Table(max_rows=0)


def test_float_values_read_back_exactly(tmp_path: Path) -> None:
    values = [0.1, 1e-300, 1.7976931348623157e308, -0.0]
    _, doc = _stored(tmp_path, Table(columns=["v"], data=[[v] for v in values]))
    back = [row[0] for row in doc["data"]]
    assert back == values and math.copysign(1, back[3]) == -1


def _decode(value: Any) -> Any:
    return jsonvalue.decode(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


_cells = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5).filter(lambda k: k != "_type"), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_cells, _cells), max_size=6))
def test_any_rows_read_back_exactly(rows: list[tuple[Any, Any]]) -> None:
    import tempfile

    table = Table(columns=["a", "b"], data=rows, allow_mixed_types=True)
    with tempfile.TemporaryDirectory() as d:
        ref = table.to_ref(MediaStore(d))
        doc = json.loads((Path(d) / ref["path"]).read_bytes())
    assert doc["columns"] == ["a", "b"]
    assert _same(_decode(doc["data"]), [list(r) for r in rows])
