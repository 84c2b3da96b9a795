"""Explicit data for the fake Jira: a hand-written train's sprints and issues, at given times.

The demo builds its bundled train through these calls instead of the seeded generator (create
the fake with ``issues=0``). Times are explicit, so a world "as of a week ago" can be built,
synced, then moved on with later changes (``update``, ``flag``, ``add_link`` …) and synced again.
Like Jira, an issue records no history for the values it is created with; a status other than
the workflow's initial "To Do" is a transition at the creation instant (Jira creates every issue
in the initial status).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sync.sandbox.jira.data import STATUSES, TYPES, FIssue, SprintRec, status_item
from sync.sandbox.jira.mutate import Mutations

INITIAL_STATUS = "To Do"


class Explicit(Mutations):
    """``add_sprint`` and ``create_issue``."""

    def add_sprint(self, project: str, name: str, start: datetime, end: datetime) -> int:
        """A sprint on ``project``'s board; closed once the fake's clock reaches ``end``
        (``completeDate`` = ``end``), active from ``start``, else future. Returns its id."""
        with self.lock:
            board = self.projects.index(self.spec(project)) + 1
            self._sprint_seq += 1
            rec = SprintRec(self._sprint_seq, name, board, _ms(start), _ms(end))
            if rec.end <= rec.start:
                raise ValueError(f"sprint {name!r} ends before it starts")
            self._sprints[rec.id] = rec
            self.version += 1
            return rec.id

    def create_issue(
        self,
        project: str,
        *,
        summary: str,
        type: str = "Story",
        created: int,
        status: str = INITIAL_STATUS,
        team: str | None = None,
        components: Sequence[str] = (),
        labels: Sequence[str] = (),
        points: float | None = None,
        sprints: Sequence[int] = (),
        parent: str | int | None = None,
        assignee: str | None = None,
        business_value: float | None = None,
        actual_business_value: float | None = None,
    ) -> str:
        """An issue that exists from ``created`` (epoch ms); returns its key ("PAY-1").

        ``team`` is the Team field's id (an Atlassian team id; None: no team); ``sprints`` ids
        from ``add_sprint``; ``parent`` a key or id of an issue created before."""
        with self.lock:
            spec = self.spec(project)
            if type not in TYPES:
                raise KeyError(f"no issue type {type!r} in the fake")
            if status not in STATUSES:
                raise KeyError(f"no status {status!r} in the fake")
            issue = FIssue(
                id=self.id_of(self.size),
                project=spec.key,
                num=self._next_created(spec.key),
                type=type,
                summary=summary,
                created=created,
                updated=created,
                status=INITIAL_STATUS,
                resolved=None,
                assignee=assignee,
                labels=list(labels),
                components=list(components),
                points=points,
                sprint_ids=[self._need_sprint(s) for s in sprints],
                flagged=False,
                parent_id=self._need(parent) if parent is not None else None,
                histories=[],
                comments=[],
                remote=[],
                explicit=True,
                team=team,
                business_value=business_value,
                actual_business_value=actual_business_value,
            )
            self._add_created(issue)
            if status != INITIAL_STATUS:
                self._append(issue, created, [status_item(INITIAL_STATUS, status)])
                issue.status = status
                issue.resolved = created if status == "Done" else None
            return issue.key

    def _next_created(self, project: str) -> int:
        """Numbers per project go on after the generated issues' (from 1 when there are none)."""
        pidx = [p.key for p in self.projects].index(project)
        count = len(self.projects)
        generated = (self.n - pidx + count - 1) // count if self.n > pidx else 0
        taken = sum(1 for proj, _ in self._names.values() if proj == project)
        return generated + taken + 1

    def _add_created(self, issue: FIssue) -> None:
        for times in (self._created, self._base, self._updated):
            times.append(issue.created)
        self._over[issue.id] = issue
        self._names[issue.id] = (issue.project, issue.num)
        self._by_key[issue.key] = issue.id
        self.version += 1


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no timezone: pass an aware datetime")
    return int(moment.timestamp() * 1000)
