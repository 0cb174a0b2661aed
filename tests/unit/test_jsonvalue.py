"""The one tagged encoding of values JSON cannot hold (``runyard.jsonvalue``, docs/http-api.md)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exact import same
from runyard import jsonvalue
from runyard.log.records import decode as decode_record
from runyard.log.records import encode as encode_record

# What a run log holds: msgpack's values (ints within 64 bits), str keys.
scalars = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "-0.0", "1e400", "$float", "{\"$float\": \"NaN\"}"])
    | st.text(max_size=8)
    | st.booleans()
    | st.none()
    | st.binary(max_size=8)
)
tag_keys = st.sampled_from(sorted(jsonvalue.TAGS))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5) | tag_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_every_log_value_survives_json_and_back(value: Any) -> None:
    logged = decode_record(encode_record([3, value]))[1]  # what a reader of the log sees
    text = jsonvalue.dumps(logged)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare JSON constant {c}"))
    assert same(jsonvalue.loads(text), logged)


def test_strings_that_look_like_numbers_stay_strings() -> None:
    for s in ("NaN", "Infinity", "-Infinity", "nan", "inf"):
        assert jsonvalue.encode(s) == s
        assert jsonvalue.decode(s) == s
    assert jsonvalue.encode(math.nan) == {"$float": "NaN"}
    assert jsonvalue.encode([math.inf, -math.inf]) == [{"$float": "Infinity"}, {"$float": "-Infinity"}]


def test_a_user_dict_shaped_like_a_tag_is_escaped() -> None:
    user = {"$float": "NaN"}
    wire = jsonvalue.encode(user)
    assert wire == {"$object": {"$float": "NaN"}}
    assert jsonvalue.decode(wire) == user
    assert jsonvalue.encode({"$float": 1, "x": 2}) == {"$float": 1, "x": 2}  # two keys: not a tag


def test_big_integers_and_bytes_and_negative_zero() -> None:
    assert jsonvalue.encode(2**53 - 1) == 2**53 - 1
    assert jsonvalue.encode(2**53) == {"$int": str(2**53)}
    assert jsonvalue.decode({"$int": "-18446744073709551615"}) == -(2**64 - 1)
    assert jsonvalue.encode(b"\x00\xff") == {"$bytes": "AP8="}
    assert jsonvalue.decode({"$bytes": "AP8="}) == b"\x00\xff"
    assert json.dumps(jsonvalue.encode(-0.0)) == "-0.0"
    assert jsonvalue.encode(np.float32("nan")) == {"$float": "NaN"}
    assert jsonvalue.encode(np.int64(2**62)) == {"$int": str(2**62)}


@pytest.mark.parametrize("bad", [{"$float": "nan"}, {"$float": 1.0}, {"$int": "1.5"}, {"$int": 3},
                                 {"$bytes": "***"}, {"$object": [1]}])
def test_malformed_tags_are_refused_naming_where(bad: dict[str, Any]) -> None:
    with pytest.raises(jsonvalue.TaggedValueError, match=r"update\.k"):
        jsonvalue.decode({"k": bad}, "update")


def test_check_loggable_names_what_the_log_cannot_hold() -> None:
    jsonvalue.check_loggable({"a": [2**64 - 1, -(2**63), "x", math.nan]})
    with pytest.raises(ValueError, match=r"s\.a\[1\].*outside the 64 bits"):
        jsonvalue.check_loggable({"a": [0, 2**64]}, "s")
    with pytest.raises(ValueError, match="lone surrogate"):
        jsonvalue.check_loggable({"a": "x\ud800"}, "s")
    with pytest.raises(ValueError, match="lone surrogate"):
        jsonvalue.check_loggable({"k\udfff": 1}, "s")
