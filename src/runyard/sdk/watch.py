"""``watch(model)``: histograms of a PyTorch model's parameters and gradients every
``log_freq`` training steps, as wandb's ``watch`` logs them (``parameters/<name>``,
``gradients/<name>``), joined to the row the script logs next.

Cheap between those steps: one forward hook per model counts calls; only on a due call are
parameters binned and one-shot gradient hooks placed, which remove themselves after the backward
pass they observe. Binning runs with ``torch.histc`` where the tensor lives.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .report import Reporter, say

logger = logging.getLogger("runyard")
_KINDS = ("gradients", "parameters", "all", None)
_reporter = Reporter()


class _Watch:
    def __init__(self, model: Any, prefix: str, log: str | None, log_freq: int, run: Any) -> None:
        self.model = model
        self.prefix = prefix
        self.log_params = log in ("parameters", "all")
        self.log_grads = log in ("gradients", "all")
        self.log_freq = max(1, int(log_freq))
        self.run = run
        self.calls = 0
        self.grad_handles: list[Any] = []
        self.lock = threading.Lock()
        self.handle = model.register_forward_hook(self._forward)

    def _forward(self, module: Any, inputs: Any, output: Any) -> None:
        self.calls += 1
        if (self.calls - 1) % self.log_freq:  # the first call and every log_freq-th after it
            return
        if not module.training:
            return
        try:
            if self.log_params:
                self._emit({f"parameters/{self.prefix}{n}": _histogram(p.detach())
                            for n, p in module.named_parameters() if p.numel()})
            if self.log_grads:
                self._arm_gradients(module)
        except Exception as e:  # never break a training step
            _reporter.once(f"watch-{type(e).__name__}",
                           f"watch(): could not log the histograms of {type(module).__name__} — {e!r}; "
                           "training goes on")

    def _arm_gradients(self, module: Any) -> None:
        with self.lock:
            if self.grad_handles:  # the previous due step's backward never came
                return
            for name, p in module.named_parameters():
                if p.requires_grad and p.numel():
                    self.grad_handles.append(p.register_hook(self._grad_hook(name)))

    def _grad_hook(self, name: str) -> Any:
        def hook(grad: Any) -> None:
            try:
                self._emit({f"gradients/{self.prefix}{name}": _histogram(grad.detach())})
            except Exception as e:
                _reporter.once(f"watch-grad-{type(e).__name__}",
                               f"watch(): could not log the gradient of {name} — {e!r}; training goes on")
            with self.lock:
                self._drop_one()

        return hook

    def _drop_one(self) -> None:
        # Hooks fire once per parameter per backward; once all have fired, remove them all.
        self._fired = getattr(self, "_fired", 0) + 1
        if self._fired >= len(self.grad_handles):
            for h in self.grad_handles:
                h.remove()
            self.grad_handles = []
            self._fired = 0

    def _emit(self, values: dict[str, Any]) -> None:
        run = self.run
        if values and run is not None and not getattr(run, "_finished", False):
            run.log(values, commit=False)

    def remove(self) -> None:
        self.handle.remove()
        with self.lock:
            for h in self.grad_handles:
                h.remove()
            self.grad_handles = []


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
    if run is None:
        from . import lifecycle

        run = lifecycle._current
    if run is None:
        from ..errors import UsageError

        raise UsageError("watch() was called before init(); call runyard.init() first")
    if log not in _KINDS:
        raise ValueError(f"watch(): log must be 'gradients', 'parameters', 'all' or None, got {log!r}")
    if log_graph:
        say("watch(log_graph=True): runyard draws no model graphs; the graph is not logged")
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
