"""The fake GitHub's seeded data: milestones, issues and pull requests, labels, assignees,
closed issues, sub-issues and ``blocked_by`` dependencies with their timeline events.

Functions over a ``GitHubStore`` (the fake's constructor runs ``generate``); the same seed
always gives the same data.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sync.sandbox.github.data import EPOCH, LABELS, Repo, event_label, iso, milestone_json, user
from sync.sandbox.github.store import GitHubStore


def generate(store: GitHubStore, per_repo: int, pr_ratio: float) -> None:
    """``per_repo`` issues (and pull requests) in every repository, three milestones each
    ("Sprint 1" closed); nothing at all when ``per_repo`` is 0."""
    if per_repo <= 0:
        return
    rng = store._rng
    for repo in store.repos.values():
        for m in range(3):
            due = EPOCH + timedelta(days=14 * (m + 1))
            state = "closed" if m == 0 else "open"
            repo.milestones.append(
                milestone_json(repo, m + 1, f"Sprint {m + 1}", due, state=state, created=EPOCH)
            )
    span = max(per_repo * len(store.repos), 1)
    step = timedelta(seconds=max(int(300 * 24 * 3600 / span), 2))
    at = EPOCH
    for i in range(per_repo):
        for repo in store.repos.values():
            at += step
            if rng.random() < pr_ratio:
                store._new_issue(repo, f"PR {i}", at, pr=True)
                continue
            raw = store._new_issue(repo, f"{repo.full_name.split('/')[1]} story {i}", at)
            _decorate(store, repo, raw, at, rng)
    _relations(store, rng)
    for repo in store.repos.values():
        repo._order = None


def _decorate(
    store: GitHubStore, repo: Repo, raw: dict[str, Any], at: datetime, rng: random.Random
) -> None:
    for name in rng.sample(LABELS, rng.choice((0, 1, 1, 2))):
        raw["labels"].append(store._label(repo.full_name, name))
        store._event(raw["id"], "labeled", at, label=event_label(name))
    if rng.random() < 0.6:
        dev = user(f"dev{rng.randrange(20)}")
        raw["assignee"], raw["assignees"] = dev, [dev]
    if rng.random() < 0.7:
        raw["milestone"] = dict(repo.milestones[rng.randrange(3)])
    updated = at + timedelta(hours=rng.randrange(1, 72))
    if rng.random() < 0.4:
        reason = "not_planned" if rng.random() < 0.2 else "completed"
        raw.update(state="closed", state_reason=reason, closed_at=iso(updated))
        store._event(raw["id"], "closed", updated, state_reason=reason)
    raw["updated_at"] = iso(updated)
    if rng.random() < 0.05:
        raw["body"] += "\n\nBlocked by PAY-12 until the payment provider ships."


def _relations(store: GitHubStore, rng: random.Random) -> None:
    ids = [i["id"] for i in store.issues()]
    for n, issue_id in enumerate(ids):
        if n % 25 == 0 and n + 3 < len(ids):  # a parent with three sub-issues
            for child in ids[n + 1 : n + 4]:
                _adopt(store, issue_id, child)
        if rng.random() < 0.06 and n > 5:  # blocked by one or two earlier issues
            for blocker in rng.sample(ids[max(0, n - 200) : n], rng.choice((1, 1, 2))):
                blocked_raw = store._raw(issue_id)
                blocker_raw = store._raw(blocker)
                when = datetime.fromisoformat(blocked_raw["created_at"]) + timedelta(hours=1)
                store.blocked_by.setdefault(issue_id, []).append(blocker)
                store._event(issue_id, "blocked_by_added", when, blocked_by=store._ref(blocker_raw))
                store._summaries(issue_id, blocker)


def _adopt(store: GitHubStore, parent: int, child: int) -> None:
    parent_raw, child_raw = store._raw(parent), store._raw(child)
    store.children.setdefault(parent, []).append(child)
    child_raw["parent_issue_url"] = store._api_url(parent_raw)
    total = len(store.children[parent])
    done = sum(1 for c in store.children[parent] if store._raw(c)["state"] == "closed")
    parent_raw["sub_issues_summary"] = {
        "total": total,
        "completed": done,
        "percent_completed": int(100 * done / total),
    }
