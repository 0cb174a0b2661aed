"""The run-log format: framing (``framing``), record kinds (``records``), derived state
(``state``, ``summary``) and reading a run folder back (``reader``)."""
