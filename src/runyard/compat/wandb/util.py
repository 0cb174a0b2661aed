"""``wandb.util``: the helpers scripts import (``runyard.util``)."""

from runyard.util import generate_id, get_module, is_numpy_array, make_artifact_name_safe, to_forward_slash_path

__all__ = ["generate_id", "get_module", "is_numpy_array", "make_artifact_name_safe", "to_forward_slash_path"]
