"""The opt-in ``wandb`` alias: code that says ``import wandb`` (and libraries that do it for you:
Hugging Face ``Trainer``, Lightning's ``WandbLogger``, ...) logs to runyard.

Three ways to turn it on (``docs/wandb-compat.md``):

- ``runyard.compat.install()`` at the top of a script;
- ``RUNYARD_AS_WANDB=1`` in the environment: a ``.pth`` file installed with runyard checks the
  variable at interpreter start, so child processes (DataLoader workers, ``torchrun``) get it too;
- ``runyard run -- python train.py ...``, which sets that variable.

With the alias off nothing here is imported and a real ``wandb`` install is left alone.
"""

from __future__ import annotations

import os
import sys

from ._finder import WANDB_VERSION, AliasFinder

ENV_VAR = "RUNYARD_AS_WANDB"
_finder: AliasFinder | None = None

__all__ = ["ENV_VAR", "WANDB_VERSION", "install", "is_installed", "uninstall"]


def install() -> None:
    """Make ``import wandb`` and ``wandb.<sub>`` resolve to runyard, and make
    ``importlib.metadata`` report a ``wandb`` distribution, in this process. Idempotent.

    A real ``wandb`` already imported in this process is left in place (with one line saying
    so): replacing a module other code holds would split the process in two.
    """
    global _finder
    if _finder is not None:
        return
    existing = sys.modules.get("wandb")
    if existing is not None and not getattr(existing, "__runyard_alias__", False):
        sys.stderr.write(
            "runyard: the real wandb is already imported in this process, so the runyard alias "
            "was not installed; call runyard.compat.install() before anything imports wandb\n"
        )
        return
    _finder = AliasFinder()
    sys.meta_path.insert(0, _finder)
    os.environ.setdefault(ENV_VAR, "1")  # child processes get the alias too


def uninstall() -> None:
    """Undo ``install()``: ``wandb`` names imported through the alias are forgotten."""
    global _finder
    if _finder is None:
        return
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    for name in [n for n in sys.modules if n == "wandb" or n.startswith("wandb.")]:
        if getattr(sys.modules[name], "__runyard_alias__", False) or _is_ours(sys.modules[name]):
            del sys.modules[name]
    if os.environ.get(ENV_VAR) == "1":
        del os.environ[ENV_VAR]


def is_installed() -> bool:
    """Whether ``import wandb`` resolves to runyard in this process."""
    return _finder is not None


def _is_ours(module: object) -> bool:
    return str(getattr(module, "__name__", "")).startswith("runyard.")


def _install_from_env() -> None:
    """Called by the ``.pth`` file at interpreter start when ``RUNYARD_AS_WANDB`` is set."""
    if os.environ.get(ENV_VAR, "").strip().lower() in ("", "0", "false", "no", "off"):
        return
    try:
        install()
    except Exception as e:  # never break interpreter start-up
        sys.stderr.write(f"runyard: could not install the wandb alias ({ENV_VAR} is set) — {e}\n")
