"""Jira connector (Cloud and Data Center) — settings; the connector arrives with issue #3."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import Page, SyncRequest, Transport


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "jira"``."""

    url: str
    token_env: str
    user_env: str | None = None  # Cloud: e-mail + API token (basic); absent: Data Center PAT
    projects: tuple[str, ...] = ()
    jql: str | None = None
    blocks_link_types: tuple[str, ...] = ("Blocks",)

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"url: {self.url!r} is not an http(s) URL")
        if bool(self.projects) == bool(self.jql):
            raise ValueError('projects: set exactly one of projects = [...] or jql = "..."')
        if not self.blocks_link_types:
            raise ValueError('blocks_link_types: name at least one link type, e.g. ["Blocks"]')

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"jira_projects": self.projects or None}


class JiraConnector:
    kind: ClassVar[str] = "jira"
    Settings: ClassVar[type[Any]] = JiraSettings

    def __init__(self, name: str, settings: JiraSettings, transport: Transport) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport

    def pages(self, request: SyncRequest) -> Iterator[Page]:
        raise NotImplementedError("the Jira connector arrives with issue #3")

    def stats(self) -> Mapping[str, Any]:
        return {"requests": 0, "rate_limit_remaining": None}
