"""GitHub source settings and the constants of the GitHub REST API the connector reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.base import (
    ItemType,
)

REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
API_ISSUE = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)$")
PER_PAGE = 100
ITEM_TYPES: dict[str, ItemType] = {
    "epic": "epic",
    "feature": "feature",
    "enhancement": "feature",
    "story": "story",
    "user story": "story",
    "task": "task",
    "bug": "bug",
}
JIRA_KEY = r"[A-Z][A-Z0-9_]+-\d+"
REFERENCE = re.compile(
    rf"(?P<jurl>https?://[^\s)\]>]+?/browse/(?P<jkey>{JIRA_KEY}))(?![\w-])"
    r"|(?P<gurl>https?://[^\s)\]>]+?/(?P<grepo>[\w.-]+/[\w.-]+)/issues/(?P<gnum>\d+))(?!\d)"
    rf"|(?<![\w/.#-])(?P<key>{JIRA_KEY})(?![\w-])"
    r"|(?<![\w/])(?P<repo>[\w.-]+/[\w.-]+)?#(?P<num>\d+)(?!\d)"
)
SENTENCE_END = re.compile(r"\n|[.;](?:\s|$)")


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "github"``."""

    token_env: str
    repos: tuple[str, ...]
    base_url: str = "https://api.github.com"  # GitHub Enterprise Server: https://HOST/api/v3
    text_references: bool = False  # read "blocked by ABC-12" / "depends on o/r#7" in bodies
    reference_patterns: tuple[str, ...] = (r"blocked\s+by", r"depends\s+on")
    dependency_sweep_minutes: int = 60  # re-read blocked_by of open issues this often
    rate_limit_reserve: int = 200  # below this many requests left, spread the rest until reset
    history_per_sync: int = 500  # deferred timelines read per run (0: none; dates stay provisional)
    objective_label: str | None = None  # PI objectives: issues carrying this label
    business_value_prefix: str = "bv:"  # "bv:8": planned business value
    actual_business_value_prefix: str = "bv-actual:"  # "bv-actual:7": actual business value
    uncommitted_label: str = "uncommitted"  # marks an uncommitted objective

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url: {self.base_url!r} is not an http(s) URL")
        if not self.repos:
            raise ValueError('repos: list at least one repository, e.g. ["acme/web"]')
        for repo in self.repos:
            if not REPO.match(repo):
                raise ValueError(f"repos: {repo!r} is not owner/name")
        if self.history_per_sync < 0:
            raise ValueError(
                f"history_per_sync: {self.history_per_sync} is negative; use 0 or more"
            )
        for pattern in self.reference_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"reference_patterns: {pattern!r} is not a regular expression ({exc})"
                ) from None

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"github_repos": self.repos}
