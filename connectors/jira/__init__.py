"""Jira connector (Cloud and Data Center): issues, links, sprints and full history as pages.

Modules: ``settings`` (source keys, API constants), ``values`` (parsing Jira values),
``fields`` (custom field discovery), ``api`` (HTTP client), ``batch`` (a page under
construction), ``reader`` (issue JSON and histories to records), ``census`` (the id listing
of a scope), ``pipeline`` (census pages into record pages, the next page fetched while one is
stored), ``pool`` (bounded concurrency for per-issue calls), ``sweep`` (remote links and their
resumable sweep pass), ``probe`` (keys links name that nothing stored has, asked one by one) and
``connector`` (the class the engine drives).

How it reads (``api-facts.md`` §1-8 say why each step is needed):

* **Cloud** — a census over the scope with ``GET /rest/api/3/search/jql`` (``fields=id,updated``,
  5000 a page, ``nextPageToken``; ordered ``updated ASC`` so each page is a safe watermark), then
  ``POST /issue/bulkfetch`` (100 ids) for the ids whose ``updated`` differs from what is stored
  (``request.stored_updated``: reruns and resumes skip stored work), then
  ``POST /changelog/bulkfetch`` for their full, oldest-first history (``expand=changelog`` is
  truncated).
* **Data Center** — the same census idea over ``/rest/api/2/search`` with ``startAt``, ordered
  ``created ASC, key ASC`` (offset paging over ``updated`` skips rows) and split into windows by
  ``created`` before the 10,000-result limit; changed issues are read with ``expand=changelog``,
  and a truncated changelog (``total > len(histories)``) is completed with a per-issue GET.
* Incremental JQL bounds are **epoch-milliseconds** literals (``updated >= 1732877091000``): they
  carry no timezone and no minute truncation, unlike ``"yyyy-MM-dd HH:mm"`` strings, which Jira
  reads in the API user's profile timezone.
* Custom field ids (Sprint, Flagged, Team, Story Points, Epic/Parent Link) and link types are
  discovered by schema once and kept in the connector memo; a miss triggers one rediscovery.

Link direction: for every type named in ``blocks_link_types`` the issue on the *outward* side
("X blocks Y": ``outwardIssue`` Y seen on X) is the blocker, unless the type's outward phrase
means the opposite ("depends on", "is blocked by", "requires", "needs"), in which case the outward
side is the blocked one. Remote links to GitHub issues become cross-tracker links when their
``relationship`` says "blocks" (the Jira issue blocks the GitHub one) or "is blocked by"/"depends
on"/"requires" (the GitHub issue blocks the Jira one); other relationships ("mentioned in",
"relates to") are not dependencies and are skipped. Remote links to Jira browse URLs are read
the same way. A project move's ``Key`` changelog item becomes an ``Alias`` (the old key), so
links naming the old key resolve to the moved issue.
"""

from connectors.jira.api import JiraApi
from connectors.jira.batch import Batch
from connectors.jira.census import CensusEntry
from connectors.jira.connector import JiraConnector
from connectors.jira.fields import FieldMap, LinkType
from connectors.jira.history import LinkChange
from connectors.jira.reader import IssueReader
from connectors.jira.settings import MEMO_KEY, JiraSettings
from connectors.jira.values import (
    adf_text,
    current_sprint,
    epoch_ms,
    flag_reason,
    github_ref,
    item_type,
    maybe_time,
    parse_sprint,
    parse_time,
    remote_direction,
)

__all__ = [
    "MEMO_KEY",
    "Batch",
    "CensusEntry",
    "FieldMap",
    "IssueReader",
    "JiraApi",
    "JiraConnector",
    "JiraSettings",
    "LinkChange",
    "LinkType",
    "adf_text",
    "current_sprint",
    "epoch_ms",
    "flag_reason",
    "github_ref",
    "item_type",
    "maybe_time",
    "parse_sprint",
    "parse_time",
    "remote_direction",
]
