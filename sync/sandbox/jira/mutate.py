"""The fake Jira's mutations: tests and the sandbox change issues the way Jira would.

Each change bumps ``updated`` and appends a changelog history at its time (``at``, epoch ms; the
fake's clock when not given), so an incremental sync sees it and the events it yields are dated.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.sandbox.jira.data import (
    IN_SCOPE,
    FIssue,
    LinkRec,
    flag_text,
    labels_item,
    remote,
    remote_item,
    status_item,
)
from sync.sandbox.jira.render import Rendered


class Mutations(Rendered):
    """update, flag, links, moves, deletions, remote links, malformed payloads."""

    def update(
        self,
        id_or_key: int | str,
        *,
        status: str | None = None,
        summary: str | None = None,
        add_label: str | None = None,
        remove_label: str | None = None,
        parent: int | str | None = None,
        sprints: Sequence[int] | None = None,
        at: int | None = None,
    ) -> FIssue:
        """One edit at ``at``; ``sprints`` is the Sprint field's new value (every sprint the
        issue is in, closed ones kept, as Jira's field holds them)."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            when = self._touch(issue, at)
            if status is not None and status != issue.status:
                self._append(issue, when, [status_item(issue.status, status)])
                issue.status = status
                issue.resolved = when if status == "Done" else None
            if summary is not None:
                issue.summary = summary
            if add_label is not None and add_label not in issue.labels:
                self._append(issue, when, [labels_item(issue.labels, [*issue.labels, add_label])])
                issue.labels = [*issue.labels, add_label]
            if remove_label is not None and remove_label in issue.labels:
                kept = [label for label in issue.labels if label != remove_label]
                self._append(issue, when, [labels_item(issue.labels, kept)])
                issue.labels = kept
            if sprints is not None and list(sprints) != issue.sprint_ids:
                new_sprints = [self._need_sprint(sid) for sid in sprints]
                self._append(issue, when, [self._sprint_item(issue.sprint_ids, new_sprints)])
                issue.sprint_ids = new_sprints
            if parent is not None:
                new = self._need(parent)
                self._append(issue, when, [self._parent_item(issue.parent_id, new)])
                issue.parent_id = new
            return issue

    def flag(self, id_or_key: int | str, reason: str | None, *, at: int | None = None) -> None:
        """Flag (reason given: comment "(flag) Flag added" + reason) or clear (reason None)."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            when = self._touch(issue, at)
            on = reason is not None
            self._append(issue, when, [self._flag_item(on)])
            issue.flagged = on
            self._hist_seq += 1
            text = flag_text(reason) if reason is not None else "(flag) Flag removed"
            issue.comments.append((self._hist_seq, when, text))

    def add_link(
        self, blocker: int | str, blocked: int | str, *, type: str = "Blocks", at: int | None = None
    ) -> int:
        """Create a link as Jira's POST /issueLink would: ``blocker`` on the outward side."""
        with self.lock:
            out_id, in_id = self._need(blocker), self._need(blocked)
            when = at if at is not None else self.clock()
            self._link_seq += 1
            rec = LinkRec(self._link_seq, type, out_id, in_id, when)
            self.links[rec.id] = rec
            for iid in (out_id, in_id):
                self._links_of.setdefault(iid, []).append(rec.id)
                issue = self._mutable(iid)
                self._touch(issue, when)
                self._append(issue, when, [self._link_item(rec, iid, added=True)])
            return rec.id

    def remove_link(self, link_id: int, *, at: int | None = None) -> None:
        with self.lock:
            rec = self.links[link_id]
            when = at if at is not None else self.clock()
            for iid in (rec.outward, rec.inward):
                issue = self._mutable(iid)
                self._touch(issue, when)
                self._append(issue, when, [self._link_item(rec, iid, added=False)])
            rec.removed = when

    def move(self, id_or_key: int | str, project: str, *, at: int | None = None) -> str:
        """Move to another project: new key, same id (history gets Key/project items)."""
        with self.lock:
            iid = self._need(id_or_key)
            issue = self._mutable(iid)
            when = self._touch(issue, at)
            old = issue.key
            num = self._next_num.get(project, 10_000) + 1
            self._next_num[project] = num
            self._moved[iid] = (project, num)
            issue.project, issue.num = project, num
            self._append(
                issue,
                when,
                [
                    {
                        "field": "Key",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": old,
                        "to": None,
                        "toString": issue.key,
                    },
                    {
                        "field": "project",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": old.split("-")[0],
                        "to": None,
                        "toString": project,
                    },
                ],
            )
            return issue.key

    def delete(self, id_or_key: int | str) -> None:
        with self.lock:
            self._deleted.add(self._need(id_or_key))
            self.version += 1

    def restore(self, id_or_key: int | str) -> None:
        with self.lock:
            self._deleted.discard(self._need(id_or_key))
            self.version += 1

    def add_remote_link(
        self,
        id_or_key: int | str,
        url: str,
        relationship: str,
        *,
        at: int | None = None,
        history: bool = True,
    ) -> int:
        """``history=False``: a link the changelog does not show and ``updated`` does not
        reflect (made by an app; whether Jira records such edits is unverified)."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            self._remote_seq += 1
            title = url.rsplit("/", 3)[-3] + "#" + url.rsplit("/", 1)[-1]
            issue.remote.append(remote(self._remote_seq, url, relationship, title))
            if history:
                self._append(issue, self._touch(issue, at), [remote_item(self._remote_seq, title)])
            else:
                self.version += 1
            return self._remote_seq

    def malform(
        self, id_or_key: int | str, how: str = "bad_created", *, at: int | None = None
    ) -> None:
        """Break one issue's payload: "bad_created", "no_summary" or "status_string"."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            self._touch(issue, at)
            issue.malformed = how

    def touch_many(self, count: int, *, status: str = "In Review", start: int = 0) -> list[int]:
        """Update ``count`` in-scope issues (benchmarks): one status change each."""
        done: list[int] = []
        index = start
        while len(done) < count and index < self.n:
            iid = self.id_of(index)
            if self.key_of(iid).split("-")[0] in IN_SCOPE and self.visible(iid):
                current = self.issue(iid).status
                self.update(iid, status=status if current != status else "In Progress")
                done.append(iid)
            index += 1
        return done
