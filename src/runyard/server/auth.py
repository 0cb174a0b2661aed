"""Keys, users, entities and who may see what on a team server (``docs/team-server.md``).

A key is 40 random URL-safe characters after ``ry_``; the database keeps only its sha256.
A salted slow hash (bcrypt, argon2) protects *low-entropy* secrets such as passwords against
guessing; a 240-bit random key cannot be guessed, so a plain sha256 is as safe and lets every
request find its key with one indexed lookup. Sessions from the sign-in page are random tokens
stored the same way.

Every route but ``/api/health``, the sign-in page and the UI's static assets needs a key
(``Authorization: Bearer KEY`` or ``X-Api-Key: KEY``) or a session cookie. A user sees the
projects of its own entity and of the teams it is a member of; a route naming another entity's
project answers 403 without saying anything about it.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.types import ASGIApp, Receive, Scope, Send

from ..store import team_schema as t
from ..store.db import Store
from ..store.online import insert_ignore

KEY_PREFIX = "ry_"
SESSION_COOKIE = "runyard_session"
SESSION_DAYS = 30
_CACHE_SECONDS = 10.0  # a revoked key stops working within this long on every process
_OPEN_PATHS = ("/api/health", "/signin", "/api/signin", "/favicon.svg")


class AuthError(ValueError):
    pass


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    pk: int
    name: str
    admin: bool
    entities: frozenset[str]  # its own entity and its teams


# -- administration (``runyard server admin``) ---------------------------------------------------

def _entity_pk(conn: sa.Connection, name: str) -> int | None:
    pk = conn.execute(sa.select(t.entities.c.pk).where(t.entities.c.name == name)).scalar()
    return int(pk) if pk is not None else None


def create_user(store: Store, name: str, admin: bool = False) -> str:
    """Create user ``name`` (and its entity); return its first key, which is stored only hashed."""
    key = new_key()
    now = time.time()
    with store.begin() as conn:
        if _entity_pk(conn, name) is not None:
            raise AuthError(f"an entity named {name!r} already exists; choose another name")
        epk = conn.execute(sa.insert(t.entities).values(name=name, kind="user", created_at=now)
                           ).inserted_primary_key
        assert epk is not None
        upk = conn.execute(sa.insert(t.users).values(name=name, entity_pk=int(epk[0]), admin=admin,
                                                     created_at=now)).inserted_primary_key
        assert upk is not None
        conn.execute(sa.insert(t.api_keys).values(user_pk=int(upk[0]), hash=key_hash(key), prefix=key[:7],
                                                  created_at=now))
    return key


def create_key(store: Store, user: str) -> str:
    """A further key for ``user``."""
    key = new_key()
    with store.begin() as conn:
        upk = conn.execute(sa.select(t.users.c.pk).where(t.users.c.name == user)).scalar()
        if upk is None:
            raise AuthError(f"no user {user!r}")
        conn.execute(sa.insert(t.api_keys).values(user_pk=int(upk), hash=key_hash(key), prefix=key[:7],
                                                  created_at=time.time()))
    return key


def create_team(store: Store, name: str, members: list[str]) -> None:
    with store.begin() as conn:
        if _entity_pk(conn, name) is not None:
            raise AuthError(f"an entity named {name!r} already exists; choose another name")
        conn.execute(sa.insert(t.entities).values(name=name, kind="team", created_at=time.time()))
    for user in members:
        add_member(store, name, user)


def add_member(store: Store, team: str, user: str) -> None:
    with store.begin() as conn:
        epk = conn.execute(sa.select(t.entities.c.pk).where(t.entities.c.name == team,
                                                            t.entities.c.kind == "team")).scalar()
        if epk is None:
            raise AuthError(f"no team {team!r}")
        upk = conn.execute(sa.select(t.users.c.pk).where(t.users.c.name == user)).scalar()
        if upk is None:
            raise AuthError(f"no user {user!r}")
        if conn.execute(sa.select(t.members.c.user_pk).where(t.members.c.entity_pk == epk,
                                                             t.members.c.user_pk == upk)).first() is None:
            conn.execute(sa.insert(t.members).values(entity_pk=int(epk), user_pk=int(upk)))


def revoke_keys(store: Store, user: str) -> int:
    with store.begin() as conn:
        upk = conn.execute(sa.select(t.users.c.pk).where(t.users.c.name == user)).scalar()
        if upk is None:
            raise AuthError(f"no user {user!r}")
        return int(conn.execute(sa.update(t.api_keys).where(t.api_keys.c.user_pk == upk,
                                                            t.api_keys.c.revoked_at.is_(None))
                                .values(revoked_at=time.time())).rowcount)


# -- lookups ----------------------------------------------------------------------------------

class Auth:
    """Finds the user of a key or session, with a short in-process cache (the database is the
    truth for every server process)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, User | None]] = {}
        self._owners: dict[tuple[str, str], str] = {}  # (entity, project name) -> project key (claim_project)
        self._lock = threading.Lock()

    def _user(self, conn: sa.Connection, upk: int) -> User | None:
        row = conn.execute(sa.select(t.users.c.name, t.users.c.admin, t.users.c.entity_pk)
                           .where(t.users.c.pk == upk)).first()
        if row is None:
            return None
        epks = {int(row[2])} | {int(r[0]) for r in conn.execute(
            sa.select(t.members.c.entity_pk).where(t.members.c.user_pk == upk))}
        names = frozenset(str(r[0]) for r in conn.execute(
            sa.select(t.entities.c.name).where(t.entities.c.pk.in_(epks))))
        return User(upk, str(row[0]), bool(row[1]), names)

    def cached(self, token: str) -> tuple[bool, User | None]:
        """The user of ``token`` (a key, or ``"session:" + token``) without the database: ``(True,
        user)`` when it was looked up less than ``_CACHE_SECONDS`` ago, else ``(False, None)``. A
        hash and a dict: the middleware asks on the event loop and hands only a miss to a thread,
        so most requests take no thread hand-off for their key."""
        with self._lock:
            hit = self._cache.get(key_hash(token))
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def _cached(self, token: str, lookup: Any) -> User | None:
        found, user = self.cached(token)
        if found:
            return user
        h = key_hash(token)
        now = time.monotonic()
        with self.store.read() as conn:
            upk = conn.execute(lookup(h)).scalar()
            user = self._user(conn, int(upk)) if upk is not None else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[h] = (now, user)
        return user

    def user_for_key(self, key: str) -> User | None:
        return self._cached(key, lambda h: sa.select(t.api_keys.c.user_pk).where(
            t.api_keys.c.hash == h, t.api_keys.c.revoked_at.is_(None)))

    def user_for_session(self, token: str) -> User | None:
        return self._cached("session:" + token, lambda h: sa.select(t.sessions.c.user_pk).where(
            t.sessions.c.hash == key_hash(token), t.sessions.c.expires_at > time.time()))

    def new_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        with self.store.begin() as conn:
            conn.execute(sa.delete(t.sessions).where(t.sessions.c.expires_at < time.time()))
            conn.execute(sa.insert(t.sessions).values(hash=key_hash(token), user_pk=user.pk,
                                                      expires_at=time.time() + SESSION_DAYS * 86400))
        return token

    def end_session(self, token: str) -> None:
        with self.store.begin() as conn:
            conn.execute(sa.delete(t.sessions).where(t.sessions.c.hash == key_hash(token)))
        with self._lock:
            self._cache.pop(key_hash("session:" + token), None)

    def project_owner(self, project: str) -> str | None:
        """The entity owning the project of key ``project``, if any."""
        with self.store.read() as conn:
            return conn.execute(sa.select(t.entities.c.name).select_from(
                t.project_owners.join(t.entities, t.entities.c.pk == t.project_owners.c.entity_pk))
                .where(t.project_owners.c.project == project)).scalar()

    def projects_named(self, name: str) -> list[tuple[str, str, str]]:
        """``(entity, key, name)`` of every project of this name or of this key."""
        po, e = t.project_owners, t.entities
        with self.store.read() as conn:
            return [(str(r[0]), str(r[1]), str(r[2])) for r in conn.execute(
                sa.select(e.c.name, po.c.project, po.c.name).select_from(po.join(e, e.c.pk == po.c.entity_pk))
                .where(sa.or_(po.c.name == name, po.c.project == name)).order_by(e.c.name))]

    def claimed(self, entity: str, project: str) -> str | None:
        """The key of ``entity``'s project ``project`` when this process named it before (``claim_project``)."""
        return self._owners.get((entity, project))

    def claim_project(self, project: str, entity: str) -> str:
        """The key of ``entity``'s project named ``project``, made when it is new (project names are
        unique per entity). A new project's key is its name when no project has that key yet, else
        ``entity:name``; a project keeps its key. Remembered in this process (every ingest asks)."""
        key = self._owners.get((entity, project))
        if key is not None:
            return key
        po = t.project_owners
        for candidate in (project, f"{entity}:{project}"):
            with self.store.begin() as conn:
                epk = _entity_pk(conn, entity)
                if epk is None:
                    raise AuthError(f"no entity {entity!r}")
                found = conn.execute(sa.select(po.c.project).where(po.c.entity_pk == epk,
                                                                   po.c.name == project)).scalar()
                if found is None:  # a key taken (by another entity's project) or a race: both are ignored
                    insert_ignore(conn, po, {"project": candidate, "entity_pk": epk, "name": project,
                                             "created_at": time.time()})
                    found = conn.execute(sa.select(po.c.project).where(po.c.entity_pk == epk,
                                                                       po.c.name == project)).scalar()
            if found is not None:
                self._owners[(entity, project)] = str(found)
                return str(found)
        raise AuthError(f"could not name project {project!r} of entity {entity!r}; try again")

    def resolve(self, user: User, segment: str, entity: str | None) -> tuple[str | None, str | None]:
        """The key of the project a request names, as ``(key, error)``: ``segment`` (a path's
        project part) is a key, a name, or ``entity:name``; ``entity`` (the request's ``entity``
        parameter) picks that entity's project of the name. A key names its project; a name, the
        one project of that name among the user's entities (two: an error saying how to choose,
        naming only entities the user sees). ``(None, None)``: no such project (yet)."""
        split = entity is None and ":" in segment and not self.projects_named(segment)
        if split:
            entity, segment = segment.split(":", 1)
        found = self.projects_named(segment)
        if entity is not None:
            mine = [k for e, k, n in found if e == entity and n == segment]
            if mine and entity not in user.entities:
                return None, "your key has no access to this project"
            if split and not found:  # no project claims that name: a folder's project (runyard ui)
                return segment, None
            return (mine[0] if mine else None), None
        keyed = [(e, k) for e, k, _ in found if k == segment]
        if keyed and keyed[0][0] in user.entities:
            return segment, None
        named = [(e, k) for e, k, n in found if n == segment and e in user.entities]
        if len(named) > 1:
            return None, (f"project {segment!r} exists under several entities you can see "
                          f"({', '.join(e for e, _ in named)}): add ?entity=NAME or name it as ENTITY:{segment}")
        if named:
            return named[0][1], None
        if found:
            return None, "your key has no access to this project"
        return None, None


# -- the ASGI middleware --------------------------------------------------------------------------

def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return str(v.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


def _query_param(scope: Scope, name: str) -> str | None:
    values = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None


def _with_project(scope: Scope, key: str) -> Scope:
    """``scope`` with the project part of its path (``_project_in``) replaced by ``key``."""
    parts = scope["path"].split("/")
    parts[3] = key
    path = "/".join(parts)
    raw = scope.get("raw_path")
    out = dict(scope)
    out["path"] = path
    if raw is not None:
        out["raw_path"] = "/".join([*raw.decode("latin-1").split("/")[:3], urllib.parse.quote(key, safe=":"),
                                    *raw.decode("latin-1").split("/")[4:]]).encode("latin-1")
    return out


def _project_in(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "api" and parts[2] in ("projects", "runs", "ingest"):
        return urllib.parse.unquote(parts[3])
    return None


async def _send_json(send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    import json

    body = json.dumps({"ok": False, "error": message, "status": status}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


class AuthMiddleware:
    """Checks every HTTP request's key or session before the app sees it; puts the ``User`` in
    ``scope["state"]["user"]``. Pages (not ``/api``) without a session go to the sign-in page."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in _OPEN_PATHS or path.startswith("/assets/"):
            await self.app(scope, receive, send)
            return
        import anyio.to_thread

        user: User | None = None
        key = _header(scope, b"x-api-key")
        bearer = _header(scope, b"authorization")
        if bearer and bearer.lower().startswith("bearer "):
            key = bearer[7:].strip()
        if key:
            found, user = self.auth.cached(key)
            if not found:
                user = await anyio.to_thread.run_sync(self.auth.user_for_key, key)
            if user is None:
                await _send_json(send, 401, "this API key is not valid on this server (unknown or revoked); "
                                            "create one with `runyard server admin create-user` or "
                                            "`create-key`, then `runyard login`")
                return
        else:
            token = _cookie(scope, SESSION_COOKIE)
            if token:
                found, user = self.auth.cached("session:" + token)
                if not found:
                    user = await anyio.to_thread.run_sync(self.auth.user_for_session, token)
        if user is None:
            if path.startswith("/api/") or path in ("/openapi.json", "/docs"):
                await _send_json(send, 401, "this server needs an API key: send `Authorization: Bearer KEY` "
                                            "(runyard login stores one) or sign in at /signin",
                                 [(b"www-authenticate", b"Bearer")])
                return
            target = "/signin?next=" + urllib.parse.quote(path + ("?" + scope["query_string"].decode()
                                                                  if scope.get("query_string") else ""))
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", target.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        project = _project_in(path)
        if project is not None and not path.startswith("/api/ingest/"):
            entity = _query_param(scope, "entity")
            key, error = await anyio.to_thread.run_sync(self.auth.resolve, user, project, entity)
            if error is not None:
                await _send_json(send, 403 if "no access" in error else 409, error)
                return
            if key is not None and key != project:  # the routes below see the project's key
                scope = _with_project(scope, key)
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)


SIGNIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · runyard</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:5rem auto;padding:0 1rem}}
input{{width:100%;font:inherit;padding:.4em;margin:.3em 0 1em;box-sizing:border-box}}
button{{font:inherit;padding:.4em 1.2em}} .err{{color:#b00}}</style></head>
<body><h1>runyard</h1><p>Sign in to this team server with your API key
(<code>runyard server admin create-user NAME</code> prints one).</p>
{error}<form method="post" action="/api/signin">
<label for="key">API key</label><input id="key" name="key" type="password" autocomplete="current-password" autofocus>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button></form></body></html>
"""


def signin_page(next_path: str, error: str = "") -> str:
    err = f'<p class="err">{html.escape(error)}</p>' if error else ""
    return SIGNIN_PAGE.format(error=err, next=html.escape(next_path, quote=True))


def safe_next(next_path: str) -> str:
    """Only a path on this server (never ``//host`` or a URL) is followed after sign-in."""
    if not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/"
    return next_path
