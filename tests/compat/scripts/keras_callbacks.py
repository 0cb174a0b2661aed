"""Keras 3 (torch backend) with wandb's three callbacks."""

import keras
import numpy as np
import wandb
from wandb.integration.keras import WandbEvalCallback, WandbMetricsLogger, WandbModelCheckpoint

wandb.init(project="keras", config={"epochs": 2})
rng = np.random.default_rng(0)
x = rng.random((64, 4)).astype("float32")
y = (x.sum(1) > 2).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])


class Predictions(WandbEvalCallback):
    def add_ground_truth(self, logs=None):
        for i in range(4):
            self.data_table.add_data(i, float(y[i]))

    def add_model_predictions(self, epoch, logs=None):
        p = self.model.predict(x[:4], verbose=0)
        for i in range(4):
            self.pred_table.add_data(epoch, i, float(p[i, 0]))


model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0, callbacks=[
    WandbMetricsLogger(log_freq=2),
    WandbModelCheckpoint("model.keras"),
    Predictions(["idx", "label"], ["epoch", "idx", "pred"]),
])
# Checkpoints every 3 batches (48 training samples in batches of 16: one save, at batch 2)
model.fit(x, y, epochs=1, batch_size=16, validation_split=0.25, verbose=0, callbacks=[
    WandbModelCheckpoint("w.weights.h5", save_weights_only=True, save_freq=3),
])
wandb.finish()
