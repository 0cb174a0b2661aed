"""The logging SDK: ``Run`` and its step rules, config, summary, the writer thread and the
process-wide glue (``lifecycle``). Loaded by the first ``runyard.init()``, not by ``import runyard``."""
