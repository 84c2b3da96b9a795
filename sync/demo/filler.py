"""The bundled train's volume: plain stories under each team's features, generated the same way
every time.

Per team and iteration: iterations 1-2 done, iteration 3 a mix of done, in progress and to do
(the ones in progress move on during the week, so none of them stalls), iterations 4-5 to do,
and a few in the backlog. They carry no dependency, flag or blocked label, so no known answer
depends on them; they give the board, the flow report and the digest a train's volume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sync.demo.spec import Change, ItemSpec, TeamSpec

PER_ITERATION = 13
BACKLOG = 3
VERBS = ("Add", "Fix", "Harden", "Speed up", "Document", "Split", "Migrate", "Tidy", "Test")
NOUNS = {
    "Checkout": ("basket totals", "promo banner", "address step", "order summary", "tip jar"),
    "Mobile": ("push opt-in", "deep links", "crash reporting", "dark mode", "app review prompt"),
    "Payments": (
        "ledger export",
        "payout schedule",
        "currency rounding",
        "invoice PDF",
        "PSP retry",
    ),
    "Fraud": ("rule editor", "case queue", "risk dashboard", "alert routing", "velocity limits"),
    "Platform": ("CI cache", "secrets rotation", "ingress timeouts", "log retention", "canary"),
    "Data": ("orders model", "dbt tests", "freshness alerts", "GDPR erasure", "lineage graph"),
    "Search": ("facet counts", "ranking features", "spell check", "index aliases", "query logs"),
    "Identity": ("token refresh", "MFA recovery", "session list", "audit trail", "SCIM groups"),
}


def _home(team: TeamSpec) -> str:
    return f"jira:{team.jira_project}" if team.jira_project else f"github:{team.repo}"


def filler(teams: Sequence[TeamSpec]) -> tuple[ItemSpec, ...]:
    items: list[ItemSpec] = []
    for t, team in enumerate(teams):
        for iteration in (1, 2, 3, 4, 5, None):
            count = BACKLOG if iteration is None else PER_ITERATION
            for n in range(count):
                items.append(_story(team, t, iteration, n))
    return tuple(items)


def _story(team: TeamSpec, t: int, iteration: int | None, n: int) -> ItemSpec:
    noun = NOUNS[team.name][n % len(NOUNS[team.name])]
    title = f"{VERBS[(n + t + (iteration or 0)) % len(VERBS)]} {noun}"
    ref = f"fill.{team.name.lower()}.{iteration or 'b'}.{n}"
    base = ItemSpec(
        ref, _home(team), title, team.name, iteration=iteration, created_day=-6 + n / 10
    )
    if iteration in (1, 2):
        start = (iteration - 1) * 14
        return _with(base, status="done", started_day=start + 1 + n % 3, done_day=start + 3 + n % 8)
    if iteration == 3:
        if n < 4:
            return _with(base, status="done", started_day=28.5, done_day=29.5 + n / 10)
        if n < 9:  # on GitHub "in progress" is "assigned", done at creation: created then
            day = 29.5 + n / 10
            created = day if base.home.startswith("github:") else base.created_day
            return _with(base, status="doing", started_day=day, created_day=created)
    return base


def _with(item: ItemSpec, **changes: object) -> ItemSpec:
    return replace(item, **changes)  # type: ignore[arg-type]


def filler_week(items: Sequence[ItemSpec]) -> tuple[Change, ...]:
    """Every story in progress moves on during the week: review or done (GitHub: done, or a
    review label, since an open GitHub issue has no status to move to)."""
    changes: list[Change] = []
    doing = [i for i in items if i.ref.startswith("fill.") and i.status == "doing"]
    for k, item in enumerate(doing):
        hours = 50 + (k * 7) % 110  # within the last five days: none of them stalls
        if k % 2 == 0:
            changes.append(Change(hours, "status", item.ref, "done"))
        elif item.home.startswith("jira:"):
            changes.append(Change(hours, "status", item.ref, "review"))
        else:
            changes.append(Change(hours, "label", item.ref, "in-review"))
    return tuple(changes)
