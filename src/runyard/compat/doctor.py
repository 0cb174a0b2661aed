"""What ``runyard doctor`` reports: which wandb integrations are installed in this environment
and whether their ``import wandb`` will reach runyard."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import site
import sys
from dataclasses import dataclass
from pathlib import Path

from . import ENV_VAR, is_installed

PTH_NAME = "runyard_as_wandb.pth"

# (what the user knows it as, distribution name, module to look for, how it reaches wandb)
INTEGRATIONS = (
    ("PyTorch (wandb.watch)", "torch", "torch", "your script calls wandb.watch(model)"),
    ("Hugging Face Trainer", "transformers", "transformers", 'Trainer(args=TrainingArguments(report_to="wandb"))'),
    ("Lightning WandbLogger", "lightning", "lightning", "lightning.pytorch.loggers.WandbLogger"),
    ("PyTorch Lightning WandbLogger", "pytorch-lightning", "pytorch_lightning",
     "pytorch_lightning.loggers.WandbLogger"),
    ("Keras callbacks", "keras", "keras", "wandb.integration.keras.WandbMetricsLogger and friends"),
    ("scikit-learn plots", "scikit-learn", "sklearn", "wandb.sklearn.plot_*"),
    ("LightGBM callback", "lightgbm", "lightgbm", "wandb.lightgbm.wandb_callback()"),
    ("XGBoost callback", "xgboost", "xgboost", "wandb.xgboost.WandbCallback()"),
)


@dataclass
class Finding:
    name: str
    version: str | None
    how: str


def pth_file() -> Path | None:
    """The ``.pth`` file that turns the alias on at interpreter start, if this environment has it."""
    dirs = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
    for d in dirs:
        p = Path(d) / PTH_NAME
        if p.is_file():
            return p
    return None


def real_wandb() -> str | None:
    """The version of a real wandb install, looked up without importing it or the alias."""
    for path in sys.path:
        for dist in importlib.metadata.distributions(path=[path]):
            if (dist.metadata["Name"] or "").lower() == "wandb":
                return str(dist.version)
    return None


def findings() -> list[Finding]:
    out = []
    for name, dist, module, how in INTEGRATIONS:
        if importlib.util.find_spec(module) is None:
            continue
        try:
            version: str | None = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = None
        out.append(Finding(name, version, how))
    return out


def report() -> tuple[list[str], bool]:
    """The lines ``runyard doctor`` prints, and whether the alias will be on for a script run
    from this environment as it is."""
    env_on = os.environ.get(ENV_VAR, "0").strip().lower() not in ("", "0", "false", "no", "off")
    pth = pth_file()
    will = env_on and pth is not None
    lines = [f"python: {sys.executable}"]
    real = real_wandb()
    lines.append(f"real wandb: {real + ' installed (untouched while the alias is off)' if real else 'not installed'}")
    if pth is None:
        lines.append(f"alias start-up hook: MISSING ({PTH_NAME} not found: reinstall runyard into this "
                     "environment; until then call runyard.compat.install() at the top of the script)")
    else:
        lines.append(f"alias start-up hook: {pth}")
    if will or is_installed():
        lines.append(f"alias: ON ({ENV_VAR}=1): `import wandb` in this environment logs to runyard")
    else:
        lines.append(f"alias: off. Turn it on with `runyard run -- python train.py`, {ENV_VAR}=1, or "
                     "runyard.compat.install() at the top of the script")
    found = findings()
    if not found:
        lines.append("integrations: none of the frameworks runyard knows is installed")
    for f in found:
        state = "logs to runyard" if will else "would log to runyard with the alias on"
        lines.append(f"  {f.name} {f.version or ''}: {state} — {f.how}".replace("  :", ":"))
    return lines, will
