"""A project as ``Api.projects()`` lists it: its name, as a ``str`` (what it has always been), with
the attributes of wandb's public ``Project`` (``name``, ``entity``, ``path``, ``url``)."""

from __future__ import annotations


class Project(str):
    """A project's name, with ``entity``, ``path`` (``[entity, name]``) and ``url`` (its page on
    the server read over HTTP; None for a local folder, which has no address until a UI serves it)."""

    entity: str
    url: str | None

    def __new__(cls, name: str, entity: str = "local", url: str | None = None) -> Project:
        obj = super().__new__(cls, name)
        obj.entity, obj.url = entity, url
        return obj

    @property
    def name(self) -> str:
        return str(self)

    @property
    def path(self) -> list[str]:
        return [self.entity, str(self)]
