"""A Lightning module trained with WandbLogger (watch, hyperparameters, metrics, a table, an image)."""

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import WandbLogger


class Regressor(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.save_hyperparameters({"lr": 0.05, "width": 8})
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

    def training_step(self, batch, i):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x).squeeze(-1), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, i):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x).squeeze(-1), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


torch.manual_seed(0)
x = torch.randn(64, 4)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1)), batch_size=8)
logger = WandbLogger(project="pl", name="lit", save_dir="scratch", log_model=False)
model = Regressor()
logger.watch(model, log="all", log_freq=4)
trainer = L.Trainer(max_epochs=2, logger=logger, log_every_n_steps=2, enable_checkpointing=False,
                    enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
trainer.fit(model, loader, loader)
logger.log_table("preds", columns=["x", "y"], data=[[1, 2.0], [3, 4.0]])
logger.log_image("samples", images=[np.zeros((8, 8, 3), dtype=np.uint8)], caption=["zeros"])
logger.log_hyperparams({"batch_size": 8})
logger.log_metrics({"extra": 1.0}, step=100)
logger.experiment.finish()
