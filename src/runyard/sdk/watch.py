"""``watch(model)``: histograms of a PyTorch model's parameters and gradients every
``log_freq`` training steps, as wandb's ``watch`` logs them (``parameters/<name>``,
``gradients/<name>``), joined to the row the script logs next.

Cheap between those steps: one tensor hook per parameter counts backward passes, and only a due
pass bins anything (``torch.histc``, where the tensor lives). Hooks on the parameters rather than
on the model's ``forward`` also see models whose ``forward`` is not what training calls
(Lightning's ``training_step`` calls the inner network).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .report import Reporter

logger = logging.getLogger("runyard")
_KINDS = ("gradients", "parameters", "all", None)
_reporter = Reporter()


class _Watch:
    """The hooks of one watched model: one tensor hook per parameter, which counts the backward
    passes through it and, on every ``log_freq``-th (the first included), logs that parameter's
    gradient and/or value histogram. Between those passes a hook costs one increment and one
    comparison; it returns None, so autograd uses the gradient unchanged."""

    def __init__(self, model: Any, prefix: str, log: str | None, log_freq: int, run: Any) -> None:
        self.run = run
        self.prefix = prefix
        self.log_params = log in ("parameters", "all")
        self.log_grads = log in ("gradients", "all")
        self.log_freq = max(1, int(log_freq))
        self.handles = [p.register_hook(self._hook(name, p)) for name, p in model.named_parameters()
                        if p.requires_grad]

    def _hook(self, name: str, param: Any) -> Any:
        count = [0]
        freq = self.log_freq

        def hook(grad: Any) -> None:
            n = count[0]
            count[0] = n + 1
            if n % freq:
                return
            try:
                values = {}
                if self.log_grads:
                    values[f"gradients/{self.prefix}{name}"] = _histogram(grad.detach())
                if self.log_params:
                    values[f"parameters/{self.prefix}{name}"] = _histogram(param.detach())
                self._emit(values)
            except Exception as e:  # never break a training step
                _reporter.once(f"watch-{type(e).__name__}",
                               f"watch(): could not log the histograms of {name} — {e!r}; training goes on")

        return hook

    def _emit(self, values: dict[str, Any]) -> None:
        run = self.run
        if values and run is not None and not getattr(run, "_finished", False):
            run.log(values, commit=False)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


def _histogram(tensor: Any, bins: int = 64) -> Any:
    import numpy as np

    from ..types.histogram import Histogram

    t = tensor.float()
    if t.is_sparse:
        t = t.coalesce().values()
    t = t[t.isfinite()] if not bool(t.isfinite().all()) else t
    if t.numel() == 0:
        return Histogram(np_histogram=(np.zeros(1), np.array([0.0, 1.0])))
    lo, hi = float(t.min()), float(t.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts = t.histc(bins=bins, min=lo, max=hi).cpu().numpy()
    return Histogram(np_histogram=(counts, np.linspace(lo, hi, bins + 1)))


_watches: dict[int, _Watch] = {}


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
    run: Any = None,
) -> None:
    """Log histograms of ``models``' gradients and/or parameters every ``log_freq`` steps.

    ``log``: ``"gradients"`` (default), ``"parameters"``, ``"all"`` or None (nothing).
    ``log_graph=True`` is accepted and ignored (runyard draws no model graphs).
    """
    if run is None:  # the current run: lifecycle is loaded by init(), and not imported here (no cycle)
        run = getattr(sys.modules.get("runyard.sdk.lifecycle"), "_current", None)
    if run is None:
        from ..errors import UsageError

        raise UsageError("watch() was called before init(); call runyard.init() first")
    if log not in _KINDS:
        raise ValueError(f"watch(): log must be 'gradients', 'parameters', 'all' or None, got {log!r}")
    if log_graph:
        _reporter.once("log_graph", "watch(log_graph=True): runyard draws no model graphs; the graph is not logged")
    if getattr(run, "disabled", False):
        return
    model_list = list(models) if isinstance(models, (list, tuple)) else [models]
    for i, model in enumerate(model_list):
        if not hasattr(model, "register_forward_hook") or not hasattr(model, "named_parameters"):
            raise TypeError(f"watch(): expected a torch.nn.Module, got {type(model).__name__}")
        if id(model) in _watches:
            _watches.pop(id(model)).remove()
        n = (idx or 0) + i
        prefix = f"graph_{n}/" if len(model_list) > 1 or idx else ""
        if log is not None:
            _watches[id(model)] = _Watch(model, prefix, log, log_freq, run)


def unwatch(models: Any = None) -> None:
    """Stop watching ``models`` (all watched models when None)."""
    if models is None:
        targets = list(_watches)
    else:
        targets = [id(m) for m in (models if isinstance(models, (list, tuple)) else [models])]
    for key in targets:
        w = _watches.pop(key, None)
        if w is not None:
            w.remove()


def unwatch_run(run: Any) -> None:
    """Called when ``run`` finishes: its watches stop."""
    for key, w in list(_watches.items()):
        if w.run is run:
            _watches.pop(key).remove()
