"""A sweep's search space (docs/sweeps.md): wandb's sweep configuration, checked, and the
parameter sets of a grid or random search.

A parameter is one of ``{"value": v}``, ``{"values": [...], "probabilities": [...]}``, a
distribution (``{"distribution": "uniform", "min": 0, "max": 1}``, or ``min``/``max`` alone: an
``int_uniform`` for two integers, else ``uniform``) or ``{"parameters": {...}}`` (a nested dict of
parameters). The ``n``-th set of a sweep is a function of the sweep's id and ``n`` alone, so
agents on several machines draw the same sequence and each takes the next number.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Callable
from typing import Any

METHODS = ("grid", "random", "bayes")

# distribution -> (the keys it needs, a draw from a random.Random)
_DRAW: dict[str, tuple[tuple[str, ...], Callable[[random.Random, dict[str, Any]], Any]]] = {
    "constant": (("value",), lambda r, p: p["value"]),
    "categorical": (("values",), lambda r, p: _choice(r, p)),
    "int_uniform": (("min", "max"), lambda r, p: r.randint(int(p["min"]), int(p["max"]))),
    "uniform": (("min", "max"), lambda r, p: r.uniform(p["min"], p["max"])),
    "q_uniform": (("min", "max"), lambda r, p: _q(r.uniform(p["min"], p["max"]), p)),
    "log_uniform_values": (("min", "max"),
                           lambda r, p: math.exp(r.uniform(math.log(p["min"]), math.log(p["max"])))),
    "q_log_uniform_values": (("min", "max"),
                             lambda r, p: _q(math.exp(r.uniform(math.log(p["min"]), math.log(p["max"]))), p)),
    "log_uniform": (("min", "max"), lambda r, p: math.exp(r.uniform(p["min"], p["max"]))),
    "inv_log_uniform_values": (("min", "max"),
                               lambda r, p: 1 / math.exp(r.uniform(math.log(1 / p["max"]), math.log(1 / p["min"])))),
    "normal": ((), lambda r, p: r.gauss(p.get("mu", 0.0), p.get("sigma", 1.0))),
    "q_normal": ((), lambda r, p: _q(r.gauss(p.get("mu", 0.0), p.get("sigma", 1.0)), p)),
    "log_normal": ((), lambda r, p: math.exp(r.gauss(p.get("mu", 0.0), p.get("sigma", 1.0)))),
    "q_log_normal": ((), lambda r, p: _q(math.exp(r.gauss(p.get("mu", 0.0), p.get("sigma", 1.0))), p)),
}


def _choice(r: random.Random, p: dict[str, Any]) -> Any:
    weights = p.get("probabilities")
    return r.choices(p["values"], weights=weights)[0] if weights else r.choice(p["values"])


def _q(x: float, p: dict[str, Any]) -> float:
    q = float(p.get("q", 1.0))
    return float(round(x / q) * q)


class SweepConfigError(ValueError):
    """A sweep configuration runyard cannot search; the message names the part."""


def check(config: Any) -> dict[str, Any]:
    """The configuration, checked: a known ``method``, and every parameter of a form above (for
    ``grid``, ``value`` or ``values`` only). Raises ``SweepConfigError`` naming what is wrong."""
    if not isinstance(config, dict):
        raise SweepConfigError(f"a sweep configuration is a dict, got {type(config).__name__}")
    method = config.get("method")
    if method not in METHODS:
        raise SweepConfigError(f"sweep 'method' must be one of {', '.join(METHODS)}, got {method!r}")
    metric = config.get("metric")
    if metric is not None and not (isinstance(metric, dict) and isinstance(metric.get("name"), str)
                                   and metric.get("goal", "minimize") in ("minimize", "maximize")):
        raise SweepConfigError("sweep 'metric' must be {'name': KEY, 'goal': 'minimize' or 'maximize'}, "
                               f"got {metric!r}")
    params = config.get("parameters")
    if not isinstance(params, dict) or not params:
        raise SweepConfigError("a sweep needs 'parameters': {name: {'values': [...]}, ...}")
    _check_params(params, "", method == "grid")
    cap = config.get("run_cap")
    if cap is not None and (not isinstance(cap, int) or cap < 1):
        raise SweepConfigError(f"sweep 'run_cap' must be a positive integer, got {cap!r}")
    return config


def _kind(spec: dict[str, Any]) -> str:
    if "parameters" in spec:
        return "nested"
    if "distribution" in spec:
        return str(spec["distribution"])
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec and "max" in spec:
        both_int = all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("min", "max"))
        return "int_uniform" if both_int else "uniform"
    return "unknown"


def _check_params(params: dict[str, Any], prefix: str, grid: bool) -> None:
    for name, spec in params.items():
        where = f"parameter {prefix + str(name)!r}"
        if not isinstance(spec, dict):
            raise SweepConfigError(f"{where}: expected a dict such as {{'values': [...]}}, got {spec!r}")
        kind = _kind(spec)
        if kind == "nested":
            if not isinstance(spec["parameters"], dict) or not spec["parameters"]:
                raise SweepConfigError(f"{where}: 'parameters' must be a non-empty dict")
            _check_params(spec["parameters"], f"{prefix}{name}.", grid)
            continue
        if kind not in _DRAW:
            raise SweepConfigError(f"{where}: give 'value', 'values', 'min'/'max' or a 'distribution' of "
                                   f"{', '.join(_DRAW)}; got {spec!r}")
        if grid and kind not in ("constant", "categorical"):
            raise SweepConfigError(f"{where}: a grid search needs 'value' or 'values' for every parameter, "
                                   f"this one is a {kind} distribution (use method 'random')")
        missing = [k for k in _DRAW[kind][0] if k not in spec]
        if missing:
            raise SweepConfigError(f"{where}: the {kind} distribution needs {', '.join(missing)}")
        if kind == "categorical" and (not isinstance(spec["values"], list) or not spec["values"]):
            raise SweepConfigError(f"{where}: 'values' must be a non-empty list")
        probs = spec.get("probabilities")
        if probs is not None and (not isinstance(probs, list) or len(probs) != len(spec["values"])):
            raise SweepConfigError(f"{where}: 'probabilities' must be a list as long as 'values'")


def _leaves(params: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    out = []
    for name, spec in params.items():
        if _kind(spec) == "nested":
            out.extend(_leaves(spec["parameters"], (*prefix, name)))
        else:
            out.append(((*prefix, name), spec))
    return out


def _nest(pairs: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in pairs:
        d = out
        for part in path[:-1]:
            d = d.setdefault(part, {})
        d[path[-1]] = value
    return out


def grid_size(config: dict[str, Any]) -> int:
    return math.prod(len(spec["values"]) if "values" in spec else 1 for _, spec in _leaves(config["parameters"]))


def parameters(config: dict[str, Any], sweep_id: str, n: int) -> dict[str, Any] | None:
    """The ``n``-th parameter set of the sweep (0-based), or None when a grid has no more."""
    leaves = _leaves(config["parameters"])
    if config["method"] == "grid":
        choices = [spec["values"] if "values" in spec else [spec["value"]] for _, spec in leaves]
        combo = next(itertools.islice(itertools.product(*choices), n, None), None)
        if combo is None:
            return None
        return _nest([(path, value) for (path, _), value in zip(leaves, combo, strict=True)])
    seed = int.from_bytes(hashlib.sha256(f"{sweep_id}/{n}".encode()).digest()[:8], "big")
    r = random.Random(seed)
    return _nest([(path, _DRAW[_kind(spec)][1](r, spec)) for path, spec in leaves])
