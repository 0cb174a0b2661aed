"""LightGBM and XGBoost callbacks; with "no-run", the LightGBM callback runs without init()."""

import sys

import lightgbm as lgb
import numpy as np
import wandb
import xgboost as xgb
from wandb.lightgbm import log_summary, wandb_callback
from wandb.xgboost import WandbCallback

rng = np.random.default_rng(0)
X = rng.normal(size=(400, 5))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
params = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1, "num_leaves": 7}
if sys.argv[1:] == ["no-run"]:
    booster = lgb.train(params, lgb.Dataset(X, y), 5, callbacks=[wandb_callback()])
    print("trained", booster.num_trees())
    sys.exit(0)

wandb.init(project="lightgbm")
train = lgb.Dataset(X[:300], y[:300])
valid = lgb.Dataset(X[300:], y[300:], reference=train)
booster = lgb.train(params, train, 10, valid_sets=[train, valid], valid_names=["train", "valid"],
                    callbacks=[wandb_callback()])
log_summary(booster)
wandb.finish()

wandb.init(project="xgboost")
dtrain = xgb.DMatrix(X[:300], label=y[:300])
dvalid = xgb.DMatrix(X[300:], label=y[300:])
xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 3}, dtrain, 8,
          evals=[(dtrain, "train"), (dvalid, "valid")], callbacks=[WandbCallback()], verbose_eval=False)
wandb.finish()
