"""A sweep's search space: the configuration checked with errors that name the part, the grid in
product order, and random draws that are in range, follow the probabilities and depend on the
sweep's id and the set's number alone."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runyard.sdk.sweep_space import SweepConfigError, check, grid_size, parameters


def grid(**params: Any) -> dict[str, Any]:
    return check({"method": "grid", "parameters": params})


def test_grid_is_the_product_in_order_then_done() -> None:
    config = grid(lr={"values": [0.1, 0.01]}, bs={"values": [16, 32, 64]}, seed={"value": 7},
                  opt={"parameters": {"name": {"values": ["adam", "sgd"]}}})
    assert grid_size(config) == 12
    sets = [parameters(config, "s1", n) for n in range(12)]
    assert sets[0] == {"lr": 0.1, "bs": 16, "seed": 7, "opt": {"name": "adam"}}
    assert sets[1] == {"lr": 0.1, "bs": 16, "seed": 7, "opt": {"name": "sgd"}}
    assert sets[11] == {"lr": 0.01, "bs": 64, "seed": 7, "opt": {"name": "sgd"}}
    assert len({repr(s) for s in sets}) == 12 and parameters(config, "s1", 12) is None


def test_random_draws_in_range_and_repeatable() -> None:
    config = check({"method": "random", "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "layers": {"min": 1, "max": 4},  # two integers: int_uniform
        "dropout": {"min": 0.0, "max": 0.5},  # uniform
        "opt": {"values": ["adam", "sgd"], "probabilities": [1.0, 0.0]},
        "width": {"distribution": "q_uniform", "min": 0, "max": 100, "q": 8},
        "noise": {"distribution": "normal", "mu": 10.0, "sigma": 0.001},
    }})
    draws = [parameters(config, "abc", n) for n in range(200)]
    assert all(d is not None for d in draws)
    assert all(1e-4 <= d["lr"] <= 1e-1 and d["layers"] in (1, 2, 3, 4) and 0 <= d["dropout"] <= 0.5
               for d in draws if d)
    assert {d["opt"] for d in draws if d} == {"adam"} and all(d["width"] % 8 == 0 for d in draws if d)
    assert all(math.isclose(d["noise"], 10.0, abs_tol=0.01) for d in draws if d)
    assert {d["layers"] for d in draws if d} == {1, 2, 3, 4}  # every integer is drawn in 200 tries
    lrs = sorted(math.log10(d["lr"]) for d in draws if d)  # log-uniform: a quarter per decade or so
    assert lrs[0] < -3.5 and lrs[-1] > -1.5
    assert draws == [parameters(config, "abc", n) for n in range(200)]  # the same sets again
    assert parameters(config, "other", 0) != draws[0]


@pytest.mark.parametrize(("config", "message"), [
    ({"method": "hyperband", "parameters": {"a": {"value": 1}}}, "method' must be one of grid, random, bayes"),
    ({"method": "grid"}, "a sweep needs 'parameters'"),
    ({"method": "grid", "parameters": {"lr": {"min": 0.1, "max": 1.0}}},
     "parameter 'lr': a grid search needs 'value' or 'values' for every parameter, this one is a uniform"),
    ({"method": "random", "parameters": {"lr": {"distribution": "zipf"}}}, "parameter 'lr': give 'value'"),
    ({"method": "random", "parameters": {"lr": {"distribution": "uniform", "min": 0}}},
     "the uniform distribution needs max"),
    ({"method": "random", "parameters": {"o": {"parameters": {"x": 3}}}}, "parameter 'o.x': expected a dict"),
    ({"method": "random", "parameters": {"o": {"values": [1, 2], "probabilities": [1]}}}, "as long as 'values'"),
    ({"method": "random", "metric": {"name": "loss", "goal": "lowest"}, "parameters": {"a": {"value": 1}}},
     "sweep 'metric' must be"),
    ({"method": "random", "run_cap": 0, "parameters": {"a": {"value": 1}}}, "'run_cap' must be a positive"),
    ("method: grid", "a sweep configuration is a dict"),
])
def test_bad_configurations_are_named(config: Any, message: str) -> None:
    with pytest.raises(SweepConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check(config)
