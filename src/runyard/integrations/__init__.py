"""Framework integrations with wandb's names (``wandb.sklearn``, ``wandb.lightgbm``,
``wandb.xgboost``, ``wandb.integration.keras``), logging to the current runyard run.

Each imports its framework only when used. A failure inside one never stops training: it is
reported once, naming the integration and the call (``guard``)."""
