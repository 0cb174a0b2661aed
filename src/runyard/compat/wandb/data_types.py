"""``wandb.data_types``: the media types."""

from runyard import Audio, Histogram, Html, Image, Molecule, Object3D, Plotly, Table, Video
from runyard.types.partitioned_table import PartitionedTable

__all__ = ["Audio", "Histogram", "Html", "Image", "Molecule", "Object3D", "PartitionedTable", "Plotly", "Table",
           "Video"]
