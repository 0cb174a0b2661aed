"""The import hook behind the alias: a meta-path finder that answers for ``wandb`` and
``wandb.<sub>`` with the modules of ``runyard.compat.wandb``, and an ``importlib.metadata``
distribution named ``wandb`` so that version checks (Lightning's ``RequirementCache``,
transformers' ``is_wandb_available()``) see one. Nothing is written to disk.

The aliased module objects are runyard's own (``sys.modules['wandb'] is
sys.modules['runyard.compat.wandb']``), so state such as ``wandb.run`` is shared.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

# The wandb release whose public API runyard's alias follows; ``+runyard`` marks it as ours while
# still comparing as that version (``wandb>=0.12.10`` holds).
WANDB_VERSION = "0.31.0+runyard"
TARGET = "runyard.compat.wandb"
# wandb subpackages that are runyard's own packages as they are
REDIRECTS = {"wandb.plot": "runyard.plot"}


def target_name(fullname: str) -> str | None:
    """``wandb.x.y`` -> ``runyard.compat.wandb.x.y``; None for names that are not wandb's."""
    if fullname == "wandb":
        return TARGET
    if fullname.startswith("wandb."):
        for prefix, target in REDIRECTS.items():
            if fullname == prefix or fullname.startswith(prefix + "."):
                return target + fullname[len(prefix):]
        return TARGET + fullname[5:]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The target module ran when it was imported under its own name. The import system has
        just set its ``__spec__`` to the alias's: put its own back, so that its ``__package__``
        and ``__spec__.parent`` still agree (relative imports inside it keep working quietly)."""
        module.__spec__ = self.own_spec


class _WandbDistribution(importlib.metadata.Distribution):
    _METADATA = (
        f"Metadata-Version: 2.1\nName: wandb\nVersion: {WANDB_VERSION}\n"
        "Summary: runyard's wandb alias (runyard.compat); not the wandb package\n"
    )

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return self._METADATA
        if filename == "top_level.txt":
            return "wandb\n"
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Any:
        import pathlib

        return pathlib.Path(__file__).parent / "wandb" / path


class AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        name = target_name(fullname)
        if name is None:
            return None
        real = importlib.util.find_spec(name)
        if real is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(name), is_package=real.submodule_search_locations is not None
        )

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context | None = None
    ) -> Iterable[importlib.metadata.Distribution]:
        name = getattr(context, "name", None)
        if name is not None and name.lower().replace("-", "_") == "wandb":
            return [_WandbDistribution()]
        return []
