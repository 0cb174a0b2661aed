"""``wandb.sdk.lib``: ``RunDisabled`` (what ``init(mode="disabled")`` returns) and helpers."""

from runyard.sdk.disabled import DisabledRun as RunDisabled

from . import config_util, telemetry

__all__ = ["RunDisabled", "config_util", "telemetry"]
