"""The reference's scalar examples run unchanged after ``import runyard as wandb``."""

from __future__ import annotations

import argparse
import random

import numpy as np

import runyard as wandb


def test_reference_scalar_examples_run_unchanged() -> None:
    args = argparse.Namespace(epochs=3, num_steps=5, batch_size=2)
    wandb.init(config=args)
    wandb.log({'accuracy': 0.9, 'epoch': 5})
    wandb.log({'acc': 0.9, 'loss': 0.1})
    wandb.run.summary["accuracy"] = 0.95
    best_accuracy = 0
    for epoch in range(1, args.epochs + 1):  # noqa: B007 - the reference's code, unchanged
        test_loss, test_accuracy = random.random(), random.random()
        if (test_accuracy > best_accuracy):
            wandb.run.summary["best_accuracy"] = test_accuracy
            best_accuracy = test_accuracy
        wandb.log({"loss": 0.5, "val_loss": test_loss})
    for step in range(1, wandb.run.config.num_steps + 1):  # noqa: B007
        wandb.log({'acc': 0.5, 'loss': 0.2})
    wandb.log({'loss': 0.2}, step=100)
    wandb.log({'loss': 0.2}, commit=False)
    wandb.log({'accuracy': 0.8})
    wandb.log({'epoch': 1, 'val_acc': 0.94})
    wandb.log({'batch': 1, 'loss': 0.3})
    wandb.log({"acc": 1, "global_step": 1})
    wandb.log({"acc": 1, "batch": 10}, step=200)
    wandb.log({'loss': 0.1, 'epoch': 1, 'batch': 3})
    wandb.log({"gradients": wandb.Histogram(np.random.default_rng(0).normal(size=100))})
    wandb.run.summary.update({"gradients": wandb.Histogram(np_histogram=np.histogram(np.arange(10)))})
    path = wandb.run.path
    best = wandb.run.summary["best_accuracy"]
    wandb.finish()

    api = wandb.Api()
    run = api.run(path)
    assert run.config["epochs"] == 3
    # summary["accuracy"] = 0.95 stood until accuracy was logged again (0.8): wandb's rule
    assert run.summary["accuracy"] == 0.8 and run.summary["best_accuracy"] == best
    steps = [r["_step"] for r in run.scan_history()]
    assert 100 in steps and 200 in steps and steps == sorted(steps)
    assert run.summary["gradients"] is not None
