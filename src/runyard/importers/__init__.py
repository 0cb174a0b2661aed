"""Bringing runs in from other trackers (wandb, TensorBoard, MLflow) and taking them out again.

Every importer reads its source with that tracker's own reader where one is installed and hands
runs to ``sink.ImportedRun``, which writes an ordinary runyard run folder. ``docs/import-export.md``
says what each source maps to and what is reported as not mapped.
"""
