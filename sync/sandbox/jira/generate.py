"""The fake Jira's generated issues: each one built lazily from the seed and the spine.

Epics with children, sprints (some carried over), status flows (some through Blocked), flags
with their "(flag) Flag added" comments, labels, remote links to GitHub issues and the Link
histories of the spine's links: a full changelog coherent with the fields. An issue a test
changes is generated once and kept (``_over``); created issues live there from the start.
"""

from __future__ import annotations

import random
from typing import Any

from sync.sandbox.jira.data import (
    MINUTE,
    NOUNS,
    REASONS,
    VERBS,
    FIssue,
    Hist,
    flag_text,
    labels_item,
    remote,
    remote_item,
    status_item,
)
from sync.sandbox.jira.state import JiraState


class Generated(JiraState):
    """Issues generated on demand, and the overrides mutations work on."""

    def issue(self, issue_id: int) -> FIssue:
        """The full issue: the mutated copy when there is one, else generated from the seed."""
        if issue_id in self._over:
            return self._over[issue_id]
        return self._generate(issue_id)

    def _mutable(self, issue_id: int) -> FIssue:
        if issue_id not in self._over:
            self._over[issue_id] = self._generate(issue_id)
        return self._over[issue_id]

    def _epic_index(self, index: int) -> int:
        p = len(self.projects)
        return p * ((index // p) // 15 * 15) + index % p

    def _generate(self, issue_id: int) -> FIssue:
        index = self.index_of(issue_id)
        rng = random.Random(self.seed * 1_000_003 + issue_id)
        pidx = index % len(self.projects)
        spec = self.projects[pidx]
        proj, num = self._project_of(index)
        is_epic = self._epic_index(index) == index
        kind = "Epic" if is_epic else rng.choices(("Story", "Task", "Bug"), (6, 2, 2))[0]
        created, base_end = self._created[index], self._base[index]
        parent = None if is_epic else self.id_of(self._epic_index(index))
        steps: list[str] = []
        if parent is not None:
            steps.append("parent")
        if not is_epic:
            steps.append("sprint")
        flow = ["In Progress", "In Review", "Done"]
        n_status = rng.randrange(0, 4)
        if n_status >= 2 and rng.random() < 0.25:
            flow = ["In Progress", "Blocked", "In Progress", "In Review", "Done"]
            n_status += 2
        statuses = flow[:n_status]
        flag = rng.random() < 0.18 and bool(statuses)
        flag_cleared = flag and rng.random() < 0.6
        for k, status in enumerate(statuses):
            steps.append("status:" + status)
            if k == 0 and flag:
                steps.append("flag_on")
        if flag_cleared:
            steps.append("flag_off")
        if rng.random() < 0.3:
            steps.insert(rng.randrange(0, len(steps) + 1), "label")
        if rng.random() < 0.06:
            steps.append("remote")
        if rng.random() < 0.2 and not is_epic:
            steps.append("carry")
        if not steps:
            steps.append("label")
        times = sorted(rng.randrange(created + MINUTE, base_end + 1) for _ in steps)
        times[-1] = base_end  # the spine's time of the last own change
        times = [t - t % 1000 for t in times]
        issue = FIssue(
            id=issue_id,
            project=proj,
            num=num,
            type=kind,
            summary=f"{rng.choice(VERBS)} {rng.choice(NOUNS)}",
            created=created,
            updated=created,
            status="To Do",
            resolved=None,
            assignee=rng.choice(spec.people) if rng.random() < 0.85 else None,
            labels=[],
            components=[rng.choice(spec.components)] if rng.random() < 0.7 else [],
            points=float(rng.choice((1, 2, 3, 5, 8))) if kind == "Story" else None,
            sprint_ids=[],
            flagged=False,
            parent_id=parent,
            histories=[],
            comments=[],
            remote=[],
        )
        seq = 0

        def hist(at: int, items: list[dict[str, Any]]) -> None:
            nonlocal seq
            issue.histories.append(Hist(issue_id * 100 + seq, at, items, rng.choice(spec.people)))
            seq += 1

        for step, at in zip(steps, times, strict=True):
            if step == "parent" and parent is not None:
                hist(at, [self._parent_item(None, parent)])
            elif step == "sprint":
                sid = self._sprint_at(pidx, at)
                hist(at, [self._sprint_item([], [sid])])
                issue.sprint_ids = [sid]
            elif step == "carry" and issue.sprint_ids:
                new = [*issue.sprint_ids, issue.sprint_ids[-1] + 1]
                hist(at, [self._sprint_item(issue.sprint_ids, new)])
                issue.sprint_ids = new
            elif step.startswith("status:"):
                to = step.split(":", 1)[1]
                hist(at, [status_item(issue.status, to)])
                issue.status = to
                issue.resolved = at if to == "Done" else None
            elif step == "flag_on":
                hist(at, [self._flag_item(True)])
                issue.flagged = True
                issue.comments.append((issue_id * 100 + seq, at, flag_text(rng.choice(REASONS))))
            elif step == "flag_off":
                hist(at, [self._flag_item(False)])
                issue.flagged = False
                issue.comments.append((issue_id * 100 + seq, at, "(flag) Flag removed"))
            elif step == "label":
                label = rng.choice(("backend", "frontend", "tech-debt", "customer"))
                if label not in issue.labels:
                    hist(at, [labels_item(issue.labels, [*issue.labels, label])])
                    issue.labels = [*issue.labels, label]
            elif step == "remote":
                rid = issue_id * 10 + 1
                repo = spec.repo
                number = 1 + issue_id % 400
                relationship = rng.choice(("is blocked by", "blocks", "mentioned in"))
                issue.remote.append(
                    remote(
                        rid,
                        f"https://github.com/{repo}/issues/{number}",
                        relationship,
                        f"{repo}#{number}",
                    )
                )
                hist(at, [remote_item(rid, f"{repo}#{number}")])
        for lid in self._links_of.get(issue_id, ()):
            rec = self.links[lid]
            if lid > 49_999:
                continue  # added by a test: its history was appended when it was made
            hist(rec.added, [self._link_item(rec, issue_id, added=True)])
            if rec.removed is not None:
                hist(rec.removed, [self._link_item(rec, issue_id, added=False)])
        issue.histories.sort(key=lambda h: (h.at, h.id))
        issue.updated = max([created, *(h.at for h in issue.histories)])
        return issue
