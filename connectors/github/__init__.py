"""GitHub connector (github.com and Enterprise Server): issues, sub-issues, dependencies, history.

Modules, each a layer of the connector class: ``settings`` and ``values`` (keys, constants,
parsing), ``batch`` (a page under construction), ``client`` (HTTP, pacing, rate limits),
``records`` (issue JSON to items and text links), ``relations`` (sub-issues, dependencies,
timeline), ``walk`` (the issues walk), ``openlist`` (the open-issue walk and the re-reads it
calls for), ``sweep`` (census and dependency sweep) and
``connector``.

How it reads (``api-facts.md`` sections 9 to 12, traps 15 to 21):

* **Issues**: ``GET /repos/{o}/{r}/issues`` with ``state=all&sort=updated&direction=asc``,
  ``since`` and ``per_page=100`` per repository, pull requests dropped (the ``pull_request``
  key). Pages are walked by *keyset*: the next request re-asks with ``since`` = the page's
  newest ``updated_at`` minus one second (``since`` has second resolution and may be
  exclusive), dropping what was already seen, so an issue updated mid-walk cannot shift an
  unseen one past an offset (trap 10). Offset paging is only used when a whole page shares
  one second. Repositories are merged by ``updated_at``, so a page's cursor (its newest
  ``updated_at``) promises every repository is stored up to there. Nothing is filtered
  ``> cursor`` (trap 18); upserts dedupe.
* **Changed issues only** (``SyncRequest.stored_updated``) get the extra calls: timeline
  (label, close/reopen and dependency events), ``sub_issues`` where ``sub_issues_summary.total``
  says there are any, ``dependencies/blocked_by`` where ``total_blocked_by`` does (trap 19).
* **Between sweeps** (``openlist``): adding or removing a dependency does not bump
  ``updated_at`` (trap 15), but it moves the issue's ``issue_dependencies_summary`` totals
  (``total_blocked_by``, ``total_blocking``) and ``sub_issues_summary.total``. Every
  incremental sync walks the open issues with ``If-None-Match`` per list page (a 304 is free)
  and re-reads, in the same sync, the relations of issues whose totals moved.
* **Dependency sweep**: every ``dependency_sweep_minutes`` (or on ``full_sweep``) ``blocked_by``
  is also re-read with ``If-None-Match`` for every open issue that has (or had) blockers: the
  change a count cannot show (one removed, one added). A changed list comes with a
  ``LinkScope`` so removed dependencies close. Open issues that vanished from the open list
  are re-fetched: 301 → ``Move``, 410/404/403 → ``Gone``. ETags live in the connector memo,
  written in the page that stores the links they describe.
* **Vanished issues**: a 403/404/410 on a per-issue call (timeline, sub-issues, dependencies)
  asks the issue itself; moved or gone, it is recorded so, and the sync goes on.
* **PyGithub** provides auth, base URL (GHES ``/api/v3``), the retry layer and exceptions; the
  JSON is parsed here. PyGithub's ``PaginatedList`` objects complete themselves with one extra
  GET per issue whenever a key is absent (``issue.pull_request`` on every real issue,
  ``raw_data`` always) and never send ``If-None-Match``, so lists are read through
  ``gh.requester.requestJson``.
* **Rate limits**: ``connectors.observe.ResponseObserver`` reads ``x-ratelimit-remaining``/
  ``reset`` from every response; below ``rate_limit_reserve`` the remaining requests are spread
  until the reset, every wait capped by the retry layer's ``max_wait``. Everything retried is
  retried by ``connectors.http.BudgetRetry`` alone: 429s, 5xx, and 403s with ``Retry-After``,
  remaining 0 or a body that says "secondary rate limit" (no header to go by).

Status: ``open``/``closed`` (raw), category ``done`` when closed (also ``not_planned``),
``in_progress`` when open and assigned, else ``todo``.
"""

from connectors.github.connector import GitHubConnector
from connectors.github.settings import PER_PAGE, GitHubSettings

__all__ = ["PER_PAGE", "GitHubConnector", "GitHubSettings"]
