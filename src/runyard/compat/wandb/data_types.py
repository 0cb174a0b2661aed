"""``wandb.data_types``: the media types."""

from runyard import Audio, Histogram, Html, Image, Molecule, Object3D, Plotly, Table, Video

__all__ = ["Audio", "Histogram", "Html", "Image", "Molecule", "Object3D", "Plotly", "Table", "Video"]
