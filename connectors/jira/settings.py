"""Jira source settings and the constants of the Jira APIs the connector reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.base import (
    StatusCategory,
)

CENSUS_PAGE = 5000  # search/jql returns up to 5000 ids a page when only id/updated are asked
BULK = 100  # issue/bulkfetch takes at most 100 ids
CHANGELOG_PAGE = 10000  # changelog/bulkfetch maxResults ceiling
DC_CENSUS_PAGE = 1000  # jira.search.views.default.max default on Data Center
DC_WINDOW = 10000  # Data Center search fails at startAt >= 10,000 (max_result_window)
MEMO_KEY = "jira.fields.v1"
SWEEP_KEY = "jira.remote_sweep.v1"  # memo: where the remote-link sweep pass stands
FIRST_KEY = "jira.remote_sweep.first.v1"  # memo: the issues a first load left to the sweep
CHANGELOG_IDS = 1000  # changelog/bulkfetch takes at most 1000 ids
MAX_CONCURRENCY = 16
ISSUE_FIELDS = (  # what bulk reads ask for, besides the discovered custom fields
    "summary",
    "status",
    "issuetype",
    "created",
    "updated",
    "resolutiondate",
    "assignee",
    "labels",
    "components",
    "parent",
    "issuelinks",
    "project",
    "comment",
)
FLAG_COMMENT_WINDOW = 300.0  # seconds between a flag change and its "(flag) Flag added" comment

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
TEAM_SCHEMAS = (
    "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
    "com.atlassian.teams:rm-teams-custom-field-team",
)
STORY_POINT_SCHEMAS = ("com.pyxis.greenhopper.jira:jsw-story-points",)
STORY_POINT_NAMES = ("story points", "story point estimate")
EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
PARENT_LINK_SCHEMA = "com.atlassian.jpo:jpo-custom-field-parent"
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"

PARENT_FIELDS = frozenset(
    {"IssueParentAssociation", "Epic Link", "Parent Link", "Parent", "parent"}
)
REMOTE_LINK_FIELDS = frozenset({"RemoteIssueLink", "RemoteWorkItemLink"})
REVERSED_PHRASES = ("depends on", "is blocked by", "blocked by", "requires", "needs")
KEY_RE = re.compile(r"\b[A-Z][A-Z0-9_]*-\d+\b")
GITHUB_ISSUE_RE = re.compile(
    r"^https?://(?P<host>[^/\s]+)/(?P<owner>[^/\s]+)/(?P<repo>[^/\s]+)/issues/(?P<num>\d+)/?"
    r"(?:[?#]\S*)?$"
)
JIRA_BROWSE_RE = re.compile(
    r"^(?P<base>https?://[^/\s]+(?:/[^\s]*?)?)/browse/(?P<key>[A-Z][A-Z0-9_]*-\d+)/?(?:[?#]\S*)?$"
)
ORDER_BY_RE = re.compile(r"\s+order\s+by\s+.*$", re.I | re.S)
SPRINT_STRING_RE = re.compile(r"\[(?P<body>.*)\]\s*$", re.S)
CATEGORY: Mapping[str, StatusCategory] = {
    "new": "todo",
    "undefined": "todo",
    "indeterminate": "in_progress",
    "done": "done",
}


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "jira"``."""

    url: str
    token_env: str
    user_env: str | None = None  # Cloud: e-mail + API token (basic); absent: Data Center PAT
    projects: tuple[str, ...] = ()
    jql: str | None = None
    blocks_link_types: tuple[str, ...] = ("Blocks",)
    # PI objectives (connectors.objectives): by issue type or label; values by field name
    objective_issue_type: str | None = None
    objective_label: str | None = None
    business_value_field: str = "Business Value"
    actual_business_value_field: str = "Actual Business Value"
    committed_field: str | None = None
    uncommitted_label: str = "uncommitted"
    # Per-issue calls (remote links, truncated changelogs) in flight at once, and the
    # remote-link sweep pass: its requests per incremental sync (a backfill finishes the pass)
    # and the rate budget it leaves alone (it stops for the run below this many requests left)
    concurrency: int = 6
    sweep_per_run: int = 2000
    rate_limit_reserve: int = 200

    @property
    def reads_objectives(self) -> bool:
        return bool(self.objective_issue_type or self.objective_label)

    def objective_field_names(self) -> tuple[str, ...]:
        names = (self.business_value_field, self.actual_business_value_field, self.committed_field)
        return tuple(n for n in names if n) if self.reads_objectives else ()

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"url: {self.url!r} is not an http(s) URL")
        if bool(self.projects) == bool(self.jql):
            raise ValueError('projects: set exactly one of projects = [...] or jql = "..."')
        if not self.blocks_link_types:
            raise ValueError('blocks_link_types: name at least one link type, e.g. ["Blocks"]')
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ValueError(
                f"concurrency: {self.concurrency} is not between 1 and {MAX_CONCURRENCY}"
            )
        if self.sweep_per_run < 1:
            raise ValueError(f"sweep_per_run: {self.sweep_per_run} is not a positive count")
        if self.rate_limit_reserve < 0:
            raise ValueError(f"rate_limit_reserve: {self.rate_limit_reserve} is negative")

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"jira_projects": self.projects or None}


# --------------------------------------------------------------------------------------------
# Small parsers (pure functions: unit-tested on their own)
# --------------------------------------------------------------------------------------------
