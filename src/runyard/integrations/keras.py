"""``wandb.integration.keras`` / ``wandb.keras`` for Keras 3: ``WandbMetricsLogger`` (metrics
per epoch as ``epoch/<name>``, or per batch as ``batch/<name>``), ``WandbModelCheckpoint``
(Keras' ``ModelCheckpoint`` that also logs each checkpoint as a ``model`` artifact) and
``WandbEvalCallback`` (a base class that logs a data table once and a predictions table every
epoch)."""

from __future__ import annotations

import abc
import os
from typing import Any

import keras

from ..types.table import Table
from ._guard import current_run, guard

NAME = "wandb.integration.keras"


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class WandbMetricsLogger(keras.callbacks.Callback):  # type: ignore[misc]
    """Log the metrics Keras reports: ``log_freq="epoch"`` (default), ``"batch"`` or every N batches."""

    def __init__(self, log_freq: str | int = "epoch", initial_global_step: int = 0, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        current_run("WandbMetricsLogger")
        if log_freq == "batch":
            log_freq = 1
        self.logging_batch_wise = isinstance(log_freq, int)
        self.log_freq: Any = log_freq if self.logging_batch_wise else None
        self.global_batch = 0
        self.global_step = initial_global_step
        self._defined = False

    def _define(self, run: Any) -> None:
        if self._defined:
            return
        self._defined = True
        run.define_metric("epoch/epoch")
        run.define_metric("epoch/*", step_metric="epoch/epoch")
        if self.logging_batch_wise:
            run.define_metric("batch/batch_step")
            run.define_metric("batch/*", step_metric="batch/batch_step")

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        lr = getattr(optimizer, "learning_rate", None)
        try:
            return float(keras.ops.convert_to_numpy(lr)) if lr is not None else None
        except Exception:
            return None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        with guard(NAME, "WandbMetricsLogger.on_epoch_end"):
            run = current_run("WandbMetricsLogger")
            self._define(run)
            row = {f"epoch/{k}": _number(v) for k, v in (logs or {}).items()}
            row["epoch/epoch"] = epoch
            lr = self._learning_rate()
            if lr is not None:
                row["epoch/learning_rate"] = lr
            run.log(row)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.global_step += 1
        if self.logging_batch_wise and batch % self.log_freq == 0:
            with guard(NAME, "WandbMetricsLogger.on_batch_end"):
                run = current_run("WandbMetricsLogger")
                self._define(run)
                row = {f"batch/{k}": _number(v) for k, v in (logs or {}).items()}
                row["batch/batch_step"] = self.global_batch
                lr = self._learning_rate()
                if lr is not None:
                    row["batch/learning_rate"] = lr
                run.log(row)
                self.global_batch += self.log_freq

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_end(batch, logs)


class WandbModelCheckpoint(keras.callbacks.ModelCheckpoint):  # type: ignore[misc]
    """Keras' ``ModelCheckpoint`` that logs each checkpoint as a ``model`` artifact named
    ``run_<run id>_model``, as wandb's does (docs/artifacts.md): at each epoch's end with the
    aliases ``latest`` and ``epoch_<n>``, or every ``save_freq`` batches with ``latest`` and
    ``epoch_<n>_batch_<b>``. A checkpoint that did not change (``save_best_only``) makes no new
    version; its aliases move."""

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None, **kwargs: Any) -> None:
        super().__init__(filepath=str(filepath), monitor=monitor, verbose=verbose, save_best_only=save_best_only,
                         save_weights_only=save_weights_only, mode=mode, save_freq=save_freq,
                         initial_value_threshold=initial_value_threshold, **kwargs)
        current_run("WandbModelCheckpoint")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._should_save_on_batch(batch):
            epoch = self._current_epoch
            self._save_model(epoch=epoch, batch=batch, logs=logs)
            with guard(NAME, "WandbModelCheckpoint.on_train_batch_end"):
                path = self._get_file_path(epoch, batch, logs)
                self._log_checkpoint(path, ["latest", f"epoch_{epoch}_batch_{batch}"])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if self.save_freq == "epoch":
            with guard(NAME, "WandbModelCheckpoint.on_epoch_end"):
                self._log_checkpoint(self._get_file_path(epoch, None, logs), ["latest", f"epoch_{epoch}"])

    def _log_checkpoint(self, path: str, aliases: list[str]) -> None:
        if not os.path.exists(path):
            return  # save_best_only before the first improvement: nothing saved yet
        from ..artifacts.artifact import Artifact

        run = current_run("WandbModelCheckpoint")
        artifact = Artifact(f"run_{run.id}_model", type="model")
        # "mutable": copied now, since Keras rewrites the same file at the next save
        if os.path.isdir(path):
            artifact.add_dir(path, policy="mutable")
        else:
            artifact.add_file(path, policy="mutable")
        run.log_artifact(artifact, aliases=aliases)


class WandbEvalCallback(keras.callbacks.Callback, abc.ABC):  # type: ignore[misc]
    """Subclass it and implement ``add_ground_truth`` (fill ``self.data_table`` once) and
    ``add_model_predictions`` (fill ``self.pred_table`` each epoch)."""

    def __init__(self, data_table_columns: list[str], pred_table_columns: list[str], *args: Any,
                 **kwargs: Any) -> None:
        super().__init__()
        current_run("WandbEvalCallback")
        self.data_table_columns = data_table_columns
        self.pred_table_columns = pred_table_columns
        self.data_table: Table | None = None
        self.pred_table: Table | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        with guard(NAME, "WandbEvalCallback.on_train_begin"):
            self.init_data_table(column_names=self.data_table_columns)
            self.add_ground_truth(logs)
            self.log_data_table()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        with guard(NAME, "WandbEvalCallback.on_epoch_end"):
            self.init_pred_table(column_names=self.pred_table_columns)
            self.add_model_predictions(epoch, logs)
            self.log_pred_table()

    @abc.abstractmethod
    def add_ground_truth(self, logs: dict[str, Any] | None = None) -> None:
        """Add rows of validation data to ``self.data_table``."""

    @abc.abstractmethod
    def add_model_predictions(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Add rows of predictions to ``self.pred_table``."""

    def init_data_table(self, column_names: list[str]) -> None:
        self.data_table = Table(columns=column_names, allow_mixed_types=True)

    def init_pred_table(self, column_names: list[str]) -> None:
        self.pred_table = Table(columns=column_names, allow_mixed_types=True)

    def log_data_table(self, name: str = "val", type: str = "dataset", table_name: str = "val_data") -> None:
        current_run("WandbEvalCallback").log({table_name: self.data_table})

    def log_pred_table(self, type: str = "evaluation", table_name: str = "eval_data",
                       aliases: list[str] | None = None) -> None:
        current_run("WandbEvalCallback").log({table_name: self.pred_table})


__all__ = ["WandbEvalCallback", "WandbMetricsLogger", "WandbModelCheckpoint"]
