"""The S3-compatible blob store (``pip install 'runyard[s3]'``; boto3 is imported here only).

Keys are ``<prefix>/sha256/<ab>/<digest>`` (``blobs.blob_key``). How the store keeps the blob
invariants of ``blobs.py`` on S3, which has no rename:

- A blob up to ``part_size`` bytes is read once into memory, hashed and sent in one PUT, so its
  key is always the hash of the bytes sent.
- A bigger blob is hashed first (streamed), then sent as a multipart upload to the key of that
  hash, its parts read from the file in order and hashed again on the way (a few parts in
  flight at once, so memory stays at ``part_size * parallel``). If the second hash differs (the
  file changed), the upload is aborted and the whole is tried again with the new hash. S3 shows a
  multipart object only once it is completed, so a killed upload leaves nothing visible.
- ``missing`` asks HEAD for each digest, a few at a time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from .blobs import CHUNK, BlobNotFoundError, BlobStore, Progress, PutResult, blob_key, check_digest, sha256_file

PART_SIZE = 16 << 20
_ATTEMPTS = 3


def _boto3() -> Any:
    try:
        import boto3
        import botocore.config
    except ImportError:
        raise ImportError(
            "an s3:// blob store needs boto3: pip install 'runyard[s3]'"
        ) from None
    return boto3, botocore.config


class S3BlobStore(BlobStore):
    def __init__(
        self,
        url: str,
        endpoint: str | None = None,
        region: str | None = None,
        part_size: int = PART_SIZE,
        parallel: int = 4,
        client: Any = None,
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"blob store URL {url!r}: expected s3://bucket[/prefix]")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.url = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        self.part_size = max(int(part_size), 5 << 20)  # S3's smallest part but the last
        self.parallel = max(1, int(parallel))
        if client is None:
            boto3, bconfig = _boto3()
            endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL") or None
            config = bconfig.Config(
                signature_version="s3v4",  # presigned URLs that carry a checksum (presign_put)
                max_pool_connections=max(10, 2 * self.parallel),
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint else None,
            )
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint, region_name=region or os.environ.get("AWS_REGION") or "us-east-1",
                config=config,
            )
        self.client = client

    def presign_put(self, digest: str, expires: int = 3600) -> dict[str, Any] | None:
        """A URL a client may PUT blob ``digest`` to, straight to the bucket: ``{url, headers}``.

        The URL is signed (SigV4) with the blob's sha256 as its ``x-amz-checksum-sha256``, so the
        store itself refuses bytes whose hash is not ``digest`` (checked on SeaweedFS:
        ``BadDigest``), as the server does for uploads through it. None when the client was not
        made for SigV4 (an older signature cannot carry the checksum)."""
        if getattr(self.client.meta.config, "signature_version", None) != "s3v4":
            return None
        checksum = base64.b64encode(bytes.fromhex(digest)).decode()
        url = self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": self._key(digest), "ChecksumSHA256": checksum},
            ExpiresIn=expires)
        return {"url": url, "headers": {"x-amz-checksum-sha256": checksum}}

    def _key(self, digest: str) -> str:
        key = blob_key(digest)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _is_not_found(self, exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def _object(self, call: Callable[..., Any], digest: str) -> Any:
        """What the client's ``call`` (``head_object``, ``get_object``) answers for the blob ``digest``;
        None when the store has no such blob."""
        try:
            return call(Bucket=self.bucket, Key=self._key(digest))
        except Exception as exc:
            if self._is_not_found(exc):
                return None
            raise

    def _stored_object(self, call: Callable[..., Any], digest: str) -> Any:
        """``_object``, with a missing blob an error."""
        answer = self._object(call, digest)
        if answer is None:
            raise BlobNotFoundError(f"blob {digest} is not in {self.url}")
        return answer

    def _head(self, digest: str) -> int | None:
        head = self._object(self.client.head_object, digest)
        return None if head is None else int(head["ContentLength"])

    def missing(self, digests: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(check_digest(d) for d in digests))
        if len(wanted) <= 1:
            return [d for d in wanted if self._head(d) is None]
        with ThreadPoolExecutor(min(16, len(wanted))) as pool:
            sizes = list(pool.map(self._head, wanted))
        return [d for d, s in zip(wanted, sizes, strict=True) if s is None]

    def size(self, digest: str) -> int:
        return int(self._stored_object(self.client.head_object, digest)["ContentLength"])

    def modified(self, digest: str) -> float:
        head = self._stored_object(self.client.head_object, digest)
        return float(head["LastModified"].timestamp())

    def _put_verified_bytes(self, digest: str, data: bytes) -> PutResult:
        self.client.put_object(Bucket=self.bucket, Key=self._key(digest), Body=data)
        return PutResult(digest, len(data), True)

    def put_file(
        self, path: str | os.PathLike[str], digest: str | None = None, progress: Progress | None = None
    ) -> PutResult:
        if digest is not None:
            size = self._head(check_digest(digest))
            if size is not None:
                if progress is not None:
                    progress(size)
                return PutResult(digest, size, False)
        for _ in range(_ATTEMPTS):
            with open(path, "rb") as f:
                head = f.read(self.part_size + 1)
            if len(head) <= self.part_size:  # small: one read, one PUT
                got = hashlib.sha256(head).hexdigest()
                created = self._head(got) is None
                if created:
                    self._put_verified_bytes(got, head)
                if progress is not None:
                    progress(len(head))
                return PutResult(got, len(head), created)
            del head
            expected, size = sha256_file(path) if digest is None else (digest, -1)
            if self._head(expected) is not None:
                return PutResult(expected, self.size(expected), False)
            got, size = self._multipart(path, expected, progress)
            if got == expected:
                return PutResult(got, size, True)
            digest = None  # the file changed between the two passes: hash it again
        raise RuntimeError(f"{os.fspath(path)} kept changing while it was uploaded ({_ATTEMPTS} attempts)")

    def _multipart(self, path: str | os.PathLike[str], expected: str, progress: Progress | None) -> tuple[str, int]:
        """Upload ``path`` under ``expected``'s key; completed only if the bytes sent hash to it."""
        key = self._key(expected)
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        h = hashlib.sha256()
        size = 0
        parts: list[dict[str, Any]] = []
        pending: list[tuple[int, Future[Any], int]] = []

        def send(number: int, body: bytes) -> Any:
            return self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )

        def settle(limit: int) -> None:
            while len(pending) > limit:
                number, fut, nbytes = pending.pop(0)
                parts.append({"PartNumber": number, "ETag": fut.result()["ETag"]})
                if progress is not None:
                    progress(nbytes)

        completed = False
        try:
            with ThreadPoolExecutor(self.parallel) as pool, open(path, "rb") as f:
                number = 0
                while body := f.read(self.part_size):
                    number += 1
                    h.update(body)
                    size += len(body)
                    pending.append((number, pool.submit(send, number, body), len(body)))
                    del body
                    settle(self.parallel)
                settle(0)
            got = h.hexdigest()
            if got == expected:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
                completed = True
            return got, size
        finally:
            if not completed:
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                except Exception:  # the store will expire it; nothing visible was made
                    pass

    def open(self, digest: str) -> IO[bytes]:
        body: IO[bytes] = self._stored_object(self.client.get_object, digest)["Body"]
        return body

    def get_file(self, digest: str, dest: str | os.PathLike[str], progress: Progress | None = None) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self.open(digest) as body:
                while chunk := body.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            if h.hexdigest() != digest:
                raise OSError(f"blob {digest} from {self.url} arrived with hash {h.hexdigest()}: not written")
            os.chmod(name, 0o644)
            os.replace(name, dest)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return dest

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(digest))

    def iter_digests(self) -> Iterator[str]:
        base = f"{self.prefix}/sha256/" if self.prefix else "sha256/"
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
            for item in page.get("Contents", ()):
                name = str(item["Key"]).rsplit("/", 1)[-1]
                if len(name) == 64:
                    yield name

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()
