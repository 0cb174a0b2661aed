"""Artifacts in the index: rows of ``artifact_events`` (one per ARTIFACT record of a run log) and
the questions the HTTP API asks of them (docs/artifacts.md, "HTTP API").

Everything is derived from the events, so a reindex rebuilds it: a version exists once a run
logged (or linked) it; an alias points to the version whose most recent event named it; the
run that logged a version first is its producer, the runs that used it are its consumers.

On a team server the version numbers are the server's (``numbers``: ``(project, name,
manifest digest) -> version`` from ``artifact_numbers``, given out when a client commits a
version): every function takes ``numbers`` and then renumbers the events by digest, leaving
out events of versions the server has not numbered (their files are not all there yet).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from . import schema as s

_ACTIONS = ("logged", "used", "linked", "updated", "deleted")
Numbers = dict[tuple[str, str, str], int]


def team_numbers(conn: sa.Connection, project: str | None = None) -> Numbers:
    """The version numbers a team server gave out (``team_schema.artifact_numbers``), of one
    project or of all."""
    from . import team_schema as t

    n = t.artifact_numbers
    q = sa.select(n.c.project, n.c.name, n.c.digest, n.c.version)
    if project is not None:
        q = q.where(n.c.project == project)
    return {(p, nm, d): int(v) for p, nm, d, v in conn.execute(q)}


def artifact_event_row(record: list[Any], offset: int) -> dict[str, Any] | None:
    """The ``artifact_events`` row of an ARTIFACT record, or None when it is malformed."""
    if len(record) < 2 or not isinstance(record[1], dict):
        return None
    d = record[1]
    try:
        row = {
            "offset": offset, "action": str(d["action"]), "project": str(d["project"]), "name": str(d["name"]),
            "type": str(d["type"]), "version": int(d["version"]), "digest": str(d["digest"]),
            "size": int(d.get("size") or 0), "files": int(d.get("files") or 0), "ts": float(d.get("ts") or 0.0),
        }
    except (KeyError, TypeError, ValueError):
        return None
    if row["action"] not in _ACTIONS:
        return None
    row["doc"] = json.dumps(d, default=str)
    return row


def _events(conn: sa.Connection, *where: Any, numbers: Numbers | None = None) -> list[dict[str, Any]]:
    e, r, p = s.artifact_events, s.runs, s.projects
    q = (sa.select(e, r.c.run_id, r.c.name.label("run_name"), r.c.state.label("run_state"),
                   p.c.name.label("run_project"))
         .join(r, r.c.pk == e.c.run_pk).join(p, p.c.pk == r.c.project_pk)
         .where(*where).order_by(e.c.ts, e.c.run_pk, e.c.offset))
    out = []
    for row in conn.execute(q).mappings():
        d = dict(row)
        if numbers is not None:
            n = numbers.get((d["project"], d["name"], d["digest"]))
            if n is None:
                continue  # not (yet) committed on this server
            d["version"] = n
        d["doc"] = json.loads(d["doc"])
        out.append(d)
    return out


def _run_ref(ev: dict[str, Any]) -> dict[str, Any]:
    return {"project": ev["run_project"], "run_id": ev["run_id"], "name": ev["run_name"], "state": ev["run_state"]}


def _versions(events: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Fold events into versions: ``(project, name, version) -> doc``."""
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    alias_at: dict[tuple[str, str], dict[str, tuple[float, int]]] = defaultdict(dict)
    for ev in events:
        key = (ev["project"], ev["name"], ev["version"])
        v = out.get(key)
        if v is None:
            v = out[key] = {
                "project": ev["project"], "name": ev["name"], "type": ev["type"], "version": ev["version"],
                "digest": ev["digest"], "size": ev["size"], "files": ev["files"], "created_at": ev["ts"],
                "description": None, "metadata": {}, "logged_by": None, "used_by": [], "aliases": [],
                "linked_from": None,
            }
        doc = ev["doc"]
        if ev["action"] in ("logged", "linked"):
            if v["logged_by"] is None:
                v["logged_by"] = _run_ref(ev)
                v["created_at"] = float(doc.get("created_at") or ev["ts"])
            if doc.get("description"):
                v["description"] = doc["description"]
            if doc.get("metadata"):
                v["metadata"] = doc["metadata"]
            if ev["action"] == "linked":
                v["linked_from"] = doc.get("source")
            for a in doc.get("aliases") or ["latest"]:
                alias_at[(ev["project"], ev["name"])][str(a)] = (ev["ts"], ev["version"])
        elif ev["action"] == "updated":  # save() of a stored version: its fields and aliases now
            v["description"] = doc.get("description")
            v["metadata"] = doc.get("metadata") or {}
            if doc.get("ttl") is not None:
                v["ttl"] = doc["ttl"]
            held = alias_at[(ev["project"], ev["name"])]
            for a, (_, at) in list(held.items()):
                if at == ev["version"] and a not in (doc.get("aliases") or []):
                    del held[a]
            for a in doc.get("aliases") or []:
                held[str(a)] = (ev["ts"], ev["version"])
        elif ev["action"] == "deleted":
            v["deleted"] = True
        else:
            ref = _run_ref(ev)
            if ref not in v["used_by"]:
                v["used_by"].append(ref)
    for key in [k for k, v in out.items() if v.pop("deleted", False)]:
        del out[key]
    for (project, name), aliases in alias_at.items():
        left = [n for (p, nm, n) in out if (p, nm) == (project, name)]
        for alias, (_, version) in aliases.items():
            if alias == "latest" and (project, name, version) not in out and left:
                version = max(left)  # the latest version was deleted: the newest left
            v = out.get((project, name, version))
            if v is not None:
                v["aliases"].append(alias)
    for v in out.values():
        v["aliases"].sort()
    return out


def artifact_types(conn: sa.Connection, project: str, numbers: Numbers | None = None) -> list[dict[str, Any]]:
    if numbers is not None:  # a team server: only collections with a version it numbered
        counts: dict[str, int] = defaultdict(int)
        for c in artifact_collections(conn, project, None, numbers):
            counts[c["type"]] += 1
        return [{"type": t, "collections": n} for t, n in sorted(counts.items())]
    e = s.artifact_events
    q = (sa.select(e.c.type, sa.func.count(sa.distinct(e.c.name)))
         .where(e.c.project == project, e.c.action != "used").group_by(e.c.type).order_by(e.c.type))
    return [{"type": t, "collections": int(n)} for t, n in conn.execute(q)]


def artifact_collections(conn: sa.Connection, project: str, type: str | None = None,
                         numbers: Numbers | None = None) -> list[dict[str, Any]]:
    e = s.artifact_events
    where = [e.c.project == project] + ([e.c.type == type] if type else [])
    versions = _versions(_events(conn, *where, numbers=numbers))
    by_name: dict[str, dict[str, Any]] = {}
    for v in versions.values():
        if v["logged_by"] is None:
            continue  # only used here: logged in a project this index does not hold
        c = by_name.setdefault(v["name"], {"name": v["name"], "type": v["type"], "versions": 0, "size": 0,
                                           "latest": None, "updated_at": 0.0})
        c["versions"] += 1
        c["size"] += v["size"]
        c["updated_at"] = max(c["updated_at"], v["created_at"])
        if "latest" in v["aliases"]:
            c["latest"] = v["version"]
    return sorted(by_name.values(), key=lambda c: (c["type"], c["name"]))


def artifact_versions(conn: sa.Connection, project: str, name: str,
                      numbers: Numbers | None = None) -> list[dict[str, Any]]:
    e = s.artifact_events
    versions = _versions(_events(conn, e.c.project == project, e.c.name == name, numbers=numbers))
    return sorted((v for v in versions.values() if v["logged_by"] is not None), key=lambda v: v["version"])


def artifact_version(conn: sa.Connection, project: str, name: str, alias: str,
                     numbers: Numbers | None = None) -> dict[str, Any] | None:
    """The version ``alias`` (``v3``, ``latest``, a custom alias) names, or None."""
    from ..artifacts.names import version_number

    n = version_number(alias)
    for v in artifact_versions(conn, project, name, numbers):
        if (n is not None and v["version"] == n) or (n is None and alias in v["aliases"]):
            return v
    return None


def run_artifacts(conn: sa.Connection, project: str, run_id: str,
                  numbers: Numbers | None = None) -> dict[str, list[dict[str, Any]]]:
    """The versions a run logged and used."""
    r, p = s.runs, s.projects
    run_pk = conn.execute(sa.select(r.c.pk).join(p, p.c.pk == r.c.project_pk)
                          .where(p.c.name == project, r.c.run_id == run_id)).scalar()
    if run_pk is None:
        return {"logged": [], "used": []}
    mine = _events(conn, s.artifact_events.c.run_pk == run_pk, numbers=numbers)
    out: dict[str, list[dict[str, Any]]] = {"logged": [], "used": []}
    seen: set[tuple[str, str, str, int]] = set()
    for ev in mine:
        if ev["action"] in ("updated", "deleted"):
            continue  # edits, not lineage
        which = "used" if ev["action"] == "used" else "logged"
        key = (which, ev["project"], ev["name"], ev["version"])
        if key not in seen:
            seen.add(key)
            out[which].append({"project": ev["project"], "name": ev["name"], "type": ev["type"],
                               "version": ev["version"], "digest": ev["digest"], "size": ev["size"],
                               "files": ev["files"]})
    return out


def lineage(conn: sa.Connection, project: str, name: str, version: int, hops: int = 2,
            numbers: Numbers | None = None) -> dict[str, Any]:
    """Runs and artifact versions within ``hops`` steps of a version, as a DAG: edges go from a
    version to the runs that used it, and from a run to the versions it logged."""
    events = _events(conn, s.artifact_events.c.project.isnot(None), numbers=numbers)
    versions = _versions(events)
    produced: dict[str, set[str]] = defaultdict(set)  # run node -> artifact nodes
    consumed: dict[str, set[str]] = defaultdict(set)  # run node -> artifact nodes
    runs: dict[str, dict[str, Any]] = {}
    for ev in events:
        if ev["action"] in ("updated", "deleted") or (ev["project"], ev["name"], ev["version"]) not in versions:
            continue  # edits are not lineage; a deleted version is not drawn
        rn = f"run:{ev['run_project']}/{ev['run_id']}"
        an = f"artifact:{ev['project']}/{ev['name']}:v{ev['version']}"
        runs[rn] = _run_ref(ev)
        (consumed if ev["action"] == "used" else produced)[rn].add(an)
    start = f"artifact:{project}/{name}:v{version}"
    if (project, name, version) not in versions:
        return {"nodes": [], "edges": []}
    nodes = {start}
    frontier = {start}
    edges: set[tuple[str, str]] = set()
    for _ in range(max(1, hops) * 2):
        nxt: set[str] = set()
        for node in frontier:
            for rn in runs:
                for links, made in ((produced[rn], True), (consumed[rn], False)):
                    if node in links:  # a run that made (or used) this artifact
                        edges.add((rn, node) if made else (node, rn))
                        nxt.add(rn)
                    if node == rn:  # the artifacts this run made (or used)
                        for an in links:
                            edges.add((rn, an) if made else (an, rn))
                            nxt.add(an)
        frontier = nxt - nodes
        nodes |= nxt
    out_nodes = []
    for node in sorted(nodes):
        if node.startswith("run:"):
            out_nodes.append({"id": node, "kind": "run", **runs[node]})
        else:
            proj_name, _, ver = node[len("artifact:"):].rpartition(":v")
            proj, _, nm = proj_name.partition("/")
            v = versions.get((proj, nm, int(ver)))
            out_nodes.append({"id": node, "kind": "artifact", "project": proj, "name": nm, "version": int(ver),
                              "type": v["type"] if v else None, "aliases": v["aliases"] if v else []})
    return {"nodes": out_nodes, "edges": [{"source": a, "target": b} for a, b in sorted(edges)]}
