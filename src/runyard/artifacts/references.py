"""Reference entries: files that stay where they are (``file://`` paths, ``s3://`` objects).

A ``file://`` reference is hashed (SHA-256) when the artifact is stored, so ``verify`` and a
download can check it; an ``s3://`` reference keeps the object's ETag as its digest (reading
every object back to hash it would cost a download). Downloads fetch the bytes from the URI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .artifact import Pending
from .names import check_entry_path


def _s3_client() -> Any:
    try:
        import boto3
    except ImportError:
        raise ImportError("s3:// references need boto3: pip install 'runyard[s3]'") from None
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION") or "us-east-1")


def expand_reference(uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Pending]:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return _file_refs(Path(unquote(parsed.path)), name, checksum, max_objects)
    if parsed.scheme == "s3":
        return _s3_refs(parsed.netloc, parsed.path.lstrip("/"), name, max_objects)
    raise ValueError(f"add_reference(): only file:// and s3:// references are supported, got {uri!r}")


def _file_refs(path: Path, name: str | None, checksum: bool, max_objects: int) -> list[Pending]:
    if not path.exists():
        raise FileNotFoundError(f"add_reference(): no file or folder {path.as_uri()!r}")
    extra = {} if checksum else {"checksum": False}
    if path.is_file():
        st = path.stat()
        entry = check_entry_path(name or path.name)
        digest = None if checksum else f"unchecked-{st.st_size}-{st.st_mtime_ns}"
        return [Pending(entry, ref=path.resolve().as_uri(), stat=st, size=st.st_size, digest=digest, extra=extra)]
    out = []
    prefix = check_entry_path(name) + "/" if name else ""
    for dirpath, _dirs, files in os.walk(path):
        for f in sorted(files):
            full = Path(dirpath) / f
            st = full.stat()
            rel = full.relative_to(path).as_posix()
            digest = None if checksum else f"unchecked-{st.st_size}-{st.st_mtime_ns}"
            out.append(Pending(check_entry_path(prefix + rel), ref=full.resolve().as_uri(), stat=st,
                               size=st.st_size, digest=digest, extra=dict(extra)))
            if len(out) > max_objects:
                raise ValueError(f"add_reference(): {path} holds more than max_objects={max_objects} files")
    return out


def _s3_refs(bucket: str, key: str, name: str | None, max_objects: int) -> list[Pending]:
    client = _s3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
        etag = str(head["ETag"]).strip('"')
        entry = check_entry_path(name or key.rsplit("/", 1)[-1])
        return [Pending(entry, ref=f"s3://{bucket}/{key}", size=int(head["ContentLength"]), digest=etag,
                        extra={"etag": etag})]
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchKey", "NotFound"):
            raise
    out = []
    prefix = key.rstrip("/") + "/" if key else ""
    base = check_entry_path(name) + "/" if name else ""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            k = str(item["Key"])
            etag = str(item["ETag"]).strip('"')
            out.append(Pending(check_entry_path(base + k[len(prefix):]), ref=f"s3://{bucket}/{k}",
                               size=int(item["Size"]), digest=etag, extra={"etag": etag}))
            if len(out) > max_objects:
                raise ValueError(
                    f"add_reference(): s3://{bucket}/{prefix} holds more than max_objects={max_objects} objects"
                )
    if not out:
        raise FileNotFoundError(f"add_reference(): no object or prefix s3://{bucket}/{key}")
    return out


def fetch_reference(ref: str, dest: Path) -> None:
    """Copy a reference's bytes to ``dest``."""
    parsed = urlparse(ref)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    if parsed.scheme == "file":
        src = Path(unquote(parsed.path))
        if not src.exists():
            raise FileNotFoundError(f"reference {ref} is gone")
        shutil.copyfile(src, tmp)
    elif parsed.scheme == "s3":
        _s3_client().download_file(parsed.netloc, parsed.path.lstrip("/"), str(tmp))
    else:
        raise ValueError(f"cannot fetch reference {ref!r}")
    os.replace(tmp, dest)
