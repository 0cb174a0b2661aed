"""``wandb.data_types``: the media types."""

from runyard import Audio, Histogram, Html, Image, Molecule, Object3D, Plotly, Table, Video
from runyard.types.graph import Edge, Graph, Node
from runyard.types.partitioned_table import PartitionedTable

__all__ = ["Audio", "Edge", "Graph", "Histogram", "Html", "Image", "Molecule", "Node", "Object3D",
           "PartitionedTable", "Plotly", "Table", "Video"]
