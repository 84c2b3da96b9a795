"""GitHub connector (github.com and Enterprise Server) — settings; the connector arrives with #4."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import Page, SyncRequest, Transport

REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "github"``."""

    token_env: str
    repos: tuple[str, ...]
    base_url: str = "https://api.github.com"  # GitHub Enterprise Server: https://HOST/api/v3

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url: {self.base_url!r} is not an http(s) URL")
        if not self.repos:
            raise ValueError('repos: list at least one repository, e.g. ["acme/web"]')
        for repo in self.repos:
            if not REPO.match(repo):
                raise ValueError(f"repos: {repo!r} is not owner/name")

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"github_repos": self.repos}


class GitHubConnector:
    kind: ClassVar[str] = "github"
    Settings: ClassVar[type[Any]] = GitHubSettings

    def __init__(self, name: str, settings: GitHubSettings, transport: Transport) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport

    def pages(self, request: SyncRequest) -> Iterator[Page]:
        raise NotImplementedError("the GitHub connector arrives with issue #4")

    def stats(self) -> Mapping[str, Any]:
        return {"requests": 0, "rate_limit_remaining": None}
