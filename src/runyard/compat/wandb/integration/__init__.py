"""``wandb.integration``: framework callbacks, implemented in ``runyard.integrations``."""
