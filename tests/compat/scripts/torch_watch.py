"""A plain PyTorch loop that logs through wandb and watches its model."""

import torch
import wandb

torch.manual_seed(0)
wandb.init(project="torch", config={"lr": 0.05, "epochs": 3})
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
wandb.watch(model, log="all", log_freq=5)
opt = torch.optim.SGD(model.parameters(), lr=wandb.config.lr)
x = torch.randn(64, 8)
y = x[:, :1] * 2
for _ in range(12):
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    wandb.log({"loss": loss.item()})
wandb.summary["final_loss"] = loss.item()
wandb.finish()
