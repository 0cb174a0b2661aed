"""The door of the server: what a request must be before any route sees it (docs/http-api.md,
"Limits and the door").

- ``check_bind``: the one check of the address ``runyard ui`` listens on. A loopback address is
  the default; any other needs ``--allow-remote`` (the API has no keys yet) and prints a warning.
- ``DoorMiddleware`` (pure ASGI, so it also guards streaming bodies):
  the ``Host`` header must name this server (DNS rebinding: a page on ``evil.example`` whose name
  resolves to 127.0.0.1 must not reach the API), request bodies are bounded, and paths too long
  to be a real route are refused; each answers 4xx in the API's one error shape. Every answer
  carries ``X-Content-Type-Options: nosniff`` and every ``/api`` answer the CSP sandbox.
- ``document_errors``: the OpenAPI description lists the status codes the API really answers
  (400, 404, 409, 413, 416, ...) with the error schema, instead of FastAPI's unused 422.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # check_bind is used by the CLI before the server extra is known to be there
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: summary edits are small; settable with create_app(max_body=)
MAX_PATH = 4096  # bytes of a request path: a file path of a run folder fits many times over
INT64_MAX = 2**63 - 1


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only listens on this machine."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(name, None))
        except (OSError, ValueError):
            return False


def check_bind(host: str, allow_remote: bool, keys: bool = False) -> str | None:
    """``None`` for a loopback ``host`` or when keys are on (every route asks for one); a warning
    to print when ``allow_remote``; else ``ValueError`` saying why and how to allow it."""
    if is_loopback(host) or keys:
        return None
    if not allow_remote:
        raise ValueError(
            f"--host {host} would let every machine that reaches this one read and edit your runs "
            "without a key. Keep the default 127.0.0.1 (an SSH tunnel reaches it from elsewhere), pass "
            "--keys to ask every request for an API key (users: runyard server admin create-user "
            "--db INDEX), or pass --allow-remote to serve the network anyway.")
    return (f"warning: serving on {host} with --allow-remote: anyone who reaches this address can "
            "read every run and edit summaries; there are no keys (--keys asks for them).")


def _host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8765`` → ``::1``, ``a.b:80`` → ``a.b``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_host(name: str, names: frozenset[str]) -> bool:
    """An IP literal is always fine (a rebinding attack needs a DNS name the browser trusts);
    ``localhost`` and the configured names are; any other name is refused."""
    name = name.lower().rstrip(".")
    if name in names or name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class DoorMiddleware:
    """Host check, body size bound and path length bound, before any route runs."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = (), max_body: int = DEFAULT_MAX_BODY,
                 check_host: bool = True) -> None:
        self.app = app
        self.check_host = check_host
        self.names = frozenset(h.lower().rstrip(".") for h in allowed_hosts)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.check_host and (not host or not allowed_host(_host_name(host), self.names)):
            await _refuse(send, 400, f"the Host header {host!r} does not name this server; open it by "
                                     "its address (http://127.0.0.1:PORT/) or add the name with "
                                     "runyard ui --allowed-host NAME")
            return
        if len(scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")) > MAX_PATH:
            await _refuse(send, 414, f"the request path is longer than {MAX_PATH} bytes")
            return
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(send, 400, f"malformed Content-Length {declared!r}")
                return
            if int(declared) > self.max_body:
                await _refuse(send, 413, self._too_large(int(declared)))
                return
        received = 0
        refused = False

        async def bounded() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:  # a body without Content-Length, or longer than it said
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        sandbox = scope["path"].startswith("/api/")

        async def guarded_send(message: Message) -> None:
            if refused:  # once refused, the route's own answer is dropped for the 413
                return
            if message["type"] == "http.response.start":
                message = dict(message, headers=_with_safety(message.get("headers", []), sandbox))
            await send(message)

        await self.app(scope, bounded, guarded_send)
        if refused:
            await _refuse(send, 413, self._too_large(received))

    def _too_large(self, size: int) -> str:
        return (f"the request body ({size} bytes or more) is larger than the server's limit of "
                f"{self.max_body} bytes (create_app(max_body=...))")


SANDBOX = b"sandbox allow-scripts"


def _with_safety(headers: Iterable[tuple[bytes, bytes]], sandbox: bool) -> list[tuple[bytes, bytes]]:
    """Every answer: ``nosniff``. Every API answer (run files, artifact files, JSON): the CSP
    sandbox, so a file from a run folder (HTML, SVG, XHTML, XML, whatever its extension) never
    runs script with the UI's origin."""
    out = list(headers)
    names = {k.lower() for k, _ in out}
    if b"x-content-type-options" not in names:
        out.append((b"x-content-type-options", b"nosniff"))
    if sandbox and b"content-security-policy" not in names:
        out.append((b"content-security-policy", SANDBOX))
    return out


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"ok": False, "error": message, "status": status}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


ERROR_SCHEMA = {
    "type": "object", "required": ["ok", "error", "status"],
    "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"},
                   "status": {"type": "integer"}},
}
_REASONS = {400: "Malformed request (a parameter, filter or body the API cannot use)",
            404: "Unknown project, run, key, media or file", 409: "Conflict with the run's state",
            401: "An API key or a session is needed", 403: "The key has no access to this",
            413: "Request body too large", 414: "Request path too long",
            416: "Byte range outside the file", 500: "Internal error"}


def document_errors(app: FastAPI, extra: dict[str, tuple[int, ...]] | None = None,
                    everywhere: tuple[int, ...] = ()) -> None:
    """Make ``/openapi.json`` list the errors every operation can answer: 400, 404, 413, 414
    and 500 everywhere, plus ``extra[path]`` (e.g. 409 for summary edits, 416 for files), each
    with the error schema; FastAPI's 422 is dropped (validation errors answer 400)."""
    extra = extra or {}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        spec.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path, ops in spec.get("paths", {}).items():
            for op in ops.values():
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                for code in (400, 404, 413, 414, 500, *everywhere, *extra.get(path, ())):
                    responses[str(code)] = {
                        "description": _REASONS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
        for name in ("HTTPValidationError", "ValidationError"):
            spec["components"]["schemas"].pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
