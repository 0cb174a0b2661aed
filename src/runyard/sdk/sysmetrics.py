"""System metrics of a live run: a daemon thread samples the machine every ``stats_sample_interval``
seconds and hands the writer one SYSTEM record (the mean of the samples) every
``stats_write_interval`` seconds. The records are a stream of their own, numbered by sample and
keyed by wall time, never by the user's step (``docs/run-log.md``, "System metrics").

psutil reports CPU, memory, disk and network; ``nvidia-ml-py`` (the ``gpu`` extra, imported only
here and only when the sampler starts) reports NVIDIA GPUs. A probe that is missing or raises is
dropped with one debug line; its metrics are then simply absent.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("runyard.system")

Probe = Callable[[], dict[str, float]]
MB = 1024 * 1024


def _psutil_probes(disk_path: str) -> list[tuple[str, Probe]]:
    try:
        import psutil
    except ImportError as e:
        log.debug("system metrics: psutil is not importable (%s); CPU, memory, disk and network are absent", e)
        return []
    proc = psutil.Process()
    proc.cpu_percent(None)  # the first call only starts the clock
    psutil.cpu_percent(None)
    probes: list[tuple[str, Probe]] = []

    def cpu() -> dict[str, float]:
        return {"cpu.percent": psutil.cpu_percent(None), "cpu.process_percent": proc.cpu_percent(None)}

    def memory() -> dict[str, float]:
        vm = psutil.virtual_memory()
        return {"memory.used_mb": vm.used / MB, "memory.available_mb": vm.available / MB,
                "memory.percent": vm.percent, "proc.rss_mb": proc.memory_info().rss / MB}

    def disk_space() -> dict[str, float]:
        du = psutil.disk_usage(disk_path)
        return {"disk.used_mb": du.used / MB, "disk.used_percent": du.percent}

    probes += [("cpu", cpu), ("memory", memory), ("disk space", disk_space)]
    counted = (
        ("disk io", psutil.disk_io_counters, {"disk.read_mb": "read_bytes", "disk.write_mb": "write_bytes"}),
        ("network", psutil.net_io_counters, {"network.recv_mb": "bytes_recv", "network.sent_mb": "bytes_sent"}),
    )
    for name, read, fields in counted:
        probe = _megabytes_since_now(read, fields)
        if probe is not None:
            probes.append((name, probe))
    return probes


def _megabytes_since_now(read: Callable[[], Any], fields: dict[str, str]) -> Probe | None:
    """A probe of the megabytes each byte counter of ``read()`` (psutil's I/O counters) moved since
    this call: ``fields`` maps a metric to its counter. None when ``read()`` has no counters here."""
    start = read()
    if start is None:
        return None

    def probe() -> dict[str, float]:
        now = read()
        return {metric: (getattr(now, counter) - getattr(start, counter)) / MB for metric, counter in fields.items()}

    return probe


def _nvidia_probes() -> list[tuple[str, Probe]]:
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        log.debug("system metrics: nvidia-ml-py is not installed (pip install 'runyard[gpu]'); no NVIDIA GPU metrics")
        return []
    try:
        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception as e:  # no driver, no GPU: NVMLError of many kinds
        log.debug("system metrics: no NVIDIA GPU metrics (%s: %s)", type(e).__name__, e)
        return []
    probes: list[tuple[str, Probe]] = []
    for i, h in enumerate(handles):
        def gpu(i: int = i, h: Any = h) -> dict[str, float]:
            util = pynvml.nvmlDeviceGetUtilizationRates(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            out = {f"gpu.{i}.utilization_percent": float(util.gpu), f"gpu.{i}.memory_used_mb": mem.used / MB,
                   f"gpu.{i}.memory_total_mb": mem.total / MB}
            try:
                out[f"gpu.{i}.temperature_c"] = float(pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU))
                out[f"gpu.{i}.power_watts"] = pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0
            except Exception:  # some boards report neither
                pass
            return out
        probes.append((f"gpu {i}", gpu))
    return probes


def gpu_names() -> list[str]:
    """Names of the NVIDIA GPUs nvidia-ml-py sees (empty without it, a driver or a GPU)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return [str(pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)))
                for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:
        return []


class Sampler:
    """Samples ``probes`` on a daemon thread and calls ``emit(sample_no, ts, means)`` every
    ``write_interval`` seconds (and once more at ``stop``). Never raises into the caller."""

    def __init__(self, emit: Callable[[int, float, dict[str, float]], None], first_sample: int, disk_path: str,
                 sample_interval: float = 2.0, write_interval: float = 15.0,
                 probes: list[tuple[str, Probe]] | None = None) -> None:
        self._emit = emit
        self._next_no = first_sample
        self._disk_path = disk_path
        self.sample_interval = max(0.05, float(sample_interval))
        self.write_interval = max(self.sample_interval, float(write_interval))
        self._probes = probes
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._written = False
        self._stop = threading.Event()
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Sample on a daemon thread of its own (a run instead calls ``run`` on its background thread)."""
        self._thread = threading.Thread(target=self.run, name="runyard-system-metrics", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Write what was sampled since the last row and end the loop (in the starting process only)."""
        if os.getpid() != self._pid:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """The sampling loop, until ``stop``."""
        try:
            if self._probes is None:
                self._probes = _psutil_probes(self._disk_path) + _nvidia_probes()
            last_write = time.monotonic()
            while not self._stop.wait(self.sample_interval):
                self.sample()
                if time.monotonic() - last_write >= self.write_interval - 1e-3:
                    last_write = time.monotonic()
                    self.flush()
            if not self._counts and not self._written:  # a run shorter than one interval still gets a row
                self.sample()
            self.flush()
        except Exception as e:  # the sampler must never take the run down
            log.debug("system metrics stopped: %s: %s", type(e).__name__, e)

    def sample(self) -> None:
        assert self._probes is not None
        for name, probe in list(self._probes):
            try:
                values = probe()
            except Exception as e:
                log.debug("system metrics: %s dropped (%s: %s)", name, type(e).__name__, e)
                self._probes.remove((name, probe))
                continue
            for k, v in values.items():
                self._sums[k] = self._sums.get(k, 0.0) + v
                self._counts[k] = self._counts.get(k, 0) + 1

    def flush(self) -> None:
        if not self._counts:
            return
        means = {f"system/{k}": self._sums[k] / n for k, n in self._counts.items()}
        self._sums.clear()
        self._counts.clear()
        no, self._next_no = self._next_no, self._next_no + 1
        self._written = True
        self._emit(no, time.time(), means)
