"""Half a training run per process; WANDB_RUN_ID and WANDB_RESUME make them one run."""

import sys

import wandb

start = int(sys.argv[1])
run = wandb.init(project="resume", config={"lr": 0.1})
print(run.id, run.resumed, run.step)
for step in range(start, start + 3):
    wandb.log({"loss": 1.0 / (step + 1), "epoch": step})
if start == 0:
    raise RuntimeError("preempted")  # a crash: the second process resumes the run
wandb.finish()
