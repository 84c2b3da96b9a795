"""The fake GitHub's mutations: tests and the sandbox change issues the way GitHub does.

Labels, bodies, state, milestones and transfers bump ``updated_at``; **adding or removing a
dependency does not** (only the timeline and the summaries change). Every helper takes
``at``; without it the instant is the store's ``tick`` (the wall clock, or ``set_clock``'s).
Faults are injected here too (secondary limits, storms).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sync.sandbox.github.data import SECONDARY, Fault, event_label, iso, milestone_json, user
from sync.sandbox.github.store import GitHubStore


class Mutations(GitHubStore):
    """Dependencies, labels, state, transfers, deletions, new issues and milestones."""

    def add_dependency(self, blocked: str, blocker: str, *, at: datetime | None = None) -> None:
        """Like ``POST …/dependencies/blocked_by``: timeline + summaries, NOT ``updated_at``."""
        with self._lock:
            b, k = self.issue(blocked), self.issue(blocker)
            if k["id"] not in self.blocked_by.setdefault(b["id"], []):
                self.blocked_by[b["id"]].append(k["id"])
                when = self._when(at)
                self._event(b["id"], "blocked_by_added", when, blocked_by=self._ref(k))
                self._event(k["id"], "blocking_added", when, blocking=self._ref(b))
            self._summaries(b["id"], k["id"])

    def remove_dependency(self, blocked: str, blocker: str, *, at: datetime | None = None) -> None:
        with self._lock:
            b, k = self.issue(blocked), self.issue(blocker)
            if k["id"] in self.blocked_by.get(b["id"], []):
                self.blocked_by[b["id"]].remove(k["id"])
                when = self._when(at)
                self._event(b["id"], "blocked_by_removed", when, blocked_by=self._ref(k))
                self._event(k["id"], "blocking_removed", when, blocking=self._ref(b))
            self._summaries(b["id"], k["id"])

    def label(self, key: str, name: str, *, at: datetime | None = None) -> None:
        with self._lock:
            raw = self.issue(key)
            if name not in [lb["name"] for lb in raw["labels"]]:
                raw["labels"].append(self._label(key.split("#")[0], name))
            self._event(raw["id"], "labeled", self._touch(raw, at), label=event_label(name))

    def unlabel(self, key: str, name: str, *, at: datetime | None = None) -> None:
        with self._lock:
            raw = self.issue(key)
            raw["labels"] = [lb for lb in raw["labels"] if lb["name"] != name]
            self._event(raw["id"], "unlabeled", self._touch(raw, at), label=event_label(name))

    def edit_body(self, key: str, body: str, *, at: datetime | None = None) -> None:
        with self._lock:
            raw = self.issue(key)
            raw["body"] = body
            self._touch(raw, at)

    def close(self, key: str, reason: str = "completed", *, at: datetime | None = None) -> None:
        with self._lock:
            raw = self.issue(key)
            when = self._touch(raw, at)
            raw.update(state="closed", state_reason=reason, closed_at=iso(when))
            self._event(raw["id"], "closed", when, state_reason=reason)
            self._recount_blockers_of(raw["id"])

    def reopen(self, key: str, *, at: datetime | None = None) -> None:
        with self._lock:
            raw = self.issue(key)
            when = self._touch(raw, at)
            raw.update(state="open", state_reason="reopened", closed_at=None)
            self._event(raw["id"], "reopened", when)
            self._recount_blockers_of(raw["id"])

    def transfer(self, key: str, new_repo: str, *, at: datetime | None = None) -> str:
        """Move the issue (same id, new number); the old URL answers 301. Returns the new key."""
        with self._lock:
            old_name, number = key.split("#")
            old, new = self.repos[old_name], self.repos[new_repo]
            raw = old.numbers.pop(int(number))
            old._order = None
            new_number = new.next_number
            new.next_number += 1
            self._place(raw, new, new_number)
            raw["milestone"] = None
            self.moved[(old_name, int(number))] = raw["id"]
            self._touch(raw, at)
            return f"{new_repo}#{new_number}"

    def delete(self, key: str) -> None:
        with self._lock:
            name, number = key.split("#")
            raw = self.repos[name].numbers.pop(int(number))
            self.repos[name]._order = None
            self.deleted.add((name, int(number)))
            del self.by_id[raw["id"]]

    def create_issue(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        labels: Sequence[str] = (),
        milestone: int | None = None,
        created: datetime | None = None,
        assignee: str | None = None,
    ) -> str:
        """A new issue ("owner/name#N"); its labels and milestone show in the timeline as
        ``labeled``/``milestoned`` events at its creation, as GitHub records them."""
        with self._lock:
            target = self.repos[repo]
            at = self._when(created)
            raw = self._new_issue(target, title, at, body=body)
            for name in labels:
                raw["labels"].append(self._label(repo, name))
                self._event(raw["id"], "labeled", at, label=event_label(name))
            if assignee is not None:
                raw["assignee"] = user(assignee)
                raw["assignees"] = [raw["assignee"]]
                self._event(raw["id"], "assigned", at, assignee=user(assignee))
            if milestone is not None:
                found = self._milestone(repo, milestone)
                raw["milestone"] = dict(found)
                self._event(raw["id"], "milestoned", at, milestone={"title": found["title"]})
            return f"{repo}#{raw['number']}"

    def add_milestone(self, repo: str, title: str, due_on: datetime, *, state: str = "open") -> int:
        """A milestone (created now by the store's clock); returns its number."""
        with self._lock:
            target = self.repos[repo]
            number = len(target.milestones) + 1
            made = milestone_json(target, number, title, due_on, state=state, created=self.tick())
            target.milestones.append(made)
            return number

    def close_milestone(self, repo: str, number: int, *, at: datetime | None = None) -> None:
        """Close it; the issues in it show it closed (their ``updated_at`` does not move)."""
        with self._lock:
            found = self._milestone(repo, number)
            when = iso(self._when(at))
            found.update(state="closed", closed_at=when, updated_at=when)
            self._refresh_milestone(repo, found)

    def set_milestone(self, key: str, number: int | None, *, at: datetime | None = None) -> None:
        """Move the issue to another milestone (None: none), as the web UI does: ``updated_at``
        moves and the timeline shows ``demilestoned`` then ``milestoned``."""
        with self._lock:
            raw = self.issue(key)
            when = self._touch(raw, at)
            old = raw.get("milestone")
            if old:
                self._event(raw["id"], "demilestoned", when, milestone={"title": old["title"]})
            raw["milestone"] = None
            if number is not None:
                found = self._milestone(key.split("#")[0], number)
                raw["milestone"] = dict(found)
                self._event(raw["id"], "milestoned", when, milestone={"title": found["title"]})

    def _milestone(self, repo: str, number: int) -> dict[str, Any]:
        found = [m for m in self.repos[repo].milestones if m["number"] == number]
        if not found:
            raise KeyError(f"no milestone {number} in {repo}")
        return found[0]

    def _refresh_milestone(self, repo: str, milestone: dict[str, Any]) -> None:
        """The copy every issue in the milestone embeds shows its new state."""
        for raw in self.repos[repo].numbers.values():
            if (raw.get("milestone") or {}).get("number") == milestone["number"]:
                raw["milestone"] = dict(milestone)

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def secondary_limit(
        self, *, path: str = "", times: int = 1, retry_after: int | None = None
    ) -> Fault:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return self.inject(Fault(403, path, times, headers, SECONDARY))

    def storm(self, every: int, statuses: tuple[int, ...] = (403, 429), path: str = "") -> None:
        """Every ``every``-th request fails, cycling through 403 (secondary) and 429, with and
        without ``Retry-After``."""
        for i, status in enumerate(statuses):
            headers = {"retry-after": "0"} if i % 2 == 0 else {}
            message = SECONDARY if status == 403 else "Too many requests"
            self.inject(Fault(status, path, 0, headers, message, every=every * len(statuses)))
            self.faults[-1].seen = i * every  # stagger them
