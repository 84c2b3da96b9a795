"""GitHub issue JSON turned into work items, refs and text-reference links; old keys probed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import (
    Alias,
    ItemRef,
    Link,
    Page,
    StatusCategory,
    SyncRequest,
    WorkItem,
)
from connectors.errors import SkippableError
from connectors.github.batch import (
    _Batch,
    _Response,
)
from connectors.github.client import (
    GitHubClient,
)
from connectors.github.settings import (
    API_ISSUE,
    PER_PAGE,
    REFERENCE,
    SENTENCE_END,
)
from connectors.github.values import (
    _dt,
    _html_base,
    _item_type,
    _repo_of,
    _sprint,
)
from connectors.objectives import from_labels

PROBE_LIMIT = 100  # old keys asked about per sync: the rest wait for the next one


class RecordReader(GitHubClient):
    """Work items and refs from issue JSON; text references as links; old places asked."""

    # -- records ------------------------------------------------------------------------------

    def _work_item(self, raw: dict[str, Any], batch: _Batch, in_scope: bool = True) -> WorkItem:
        number, tracker_id = raw["number"], raw["id"]
        if not isinstance(number, int) or not isinstance(tracker_id, int):
            raise SkippableError("id and number must be integers")
        repo = _repo_of(raw)
        created, updated = _dt(raw.get("created_at")), _dt(raw.get("updated_at"))
        if created is None or updated is None:
            raise SkippableError("created_at/updated_at missing or not ISO-8601")
        state = raw.get("state")
        if state not in ("open", "closed"):
            raise SkippableError(f"state {state!r} is neither open nor closed")
        labels = tuple(
            str(lb["name"] if isinstance(lb, dict) else lb) for lb in raw.get("labels") or ()
        )
        assignees = [a.get("login") for a in raw.get("assignees") or () if isinstance(a, dict)]
        assignee = (raw.get("assignee") or {}).get("login") or (assignees[0] if assignees else None)
        category: StatusCategory = (
            "done" if state == "closed" else "in_progress" if assignee else "todo"
        )
        sprint_id = None
        milestone = raw.get("milestone")
        if isinstance(milestone, dict) and milestone.get("id") is not None:
            sprint = _sprint(milestone)
            batch.sprints[sprint.tracker_id] = sprint
            sprint_id = sprint.tracker_id
        parent = None
        if raw.get("parent_issue_url"):
            parent = self._api_ref(str(raw["parent_issue_url"]), str(raw.get("html_url", "")))
        issue_type = (
            (raw.get("type") or {}).get("name") if isinstance(raw.get("type"), dict) else None
        )
        facts = from_labels(
            labels,
            objective_label=self.settings.objective_label,
            planned_prefix=self.settings.business_value_prefix,
            actual_prefix=self.settings.actual_business_value_prefix,
            uncommitted_label=self.settings.uncommitted_label,
        )
        return WorkItem(
            tracker_id=str(tracker_id),
            key=f"{repo}#{number}",
            url=str(raw.get("html_url") or ""),
            title=str(raw.get("title") or ""),
            type=_item_type(issue_type, labels),
            status=state,
            status_category=category,
            created_at=created,
            updated_at=updated,
            container=repo,
            resolved_at=_dt(raw.get("closed_at")) if state == "closed" else None,
            assignee=assignee,
            labels=labels,
            sprint_id=sprint_id,
            parent=parent,
            in_scope=in_scope,
            objective=facts.objective,
            business_value=facts.business_value,
            actual_business_value=facts.actual_business_value,
            committed=facts.committed,
        )

    def _issue_ref(self, raw: dict[str, Any], batch: _Batch) -> ItemRef | None:
        """A ref to an issue object met through a relation; one hop out it is stored too."""
        try:
            repo = _repo_of(raw)
            if repo.lower() not in self._scope and "pull_request" not in raw:
                item = self._work_item(raw, batch, in_scope=False)
                batch.outside_items[item.tracker_id] = item
            return self._ref(f"{repo}#{int(raw['number'])}", raw.get("html_url"), str(raw["id"]))
        except (SkippableError, KeyError, TypeError, ValueError):
            return None

    def _ref(self, key: str, url: str | None, tracker_id: str | None = None) -> ItemRef:
        repo = key.split("#", 1)[0].lower()
        own = tracker_id is not None or repo in self._scope
        return ItemRef("github", key, url or None, tracker_id, self.name if own else None)

    def _api_ref(self, api_url: str, html_hint: str) -> ItemRef:
        """``parent_issue_url`` (an API URL) as a ref by key; the html URL by analogy."""
        match = API_ISSUE.search(api_url)
        if match is None:
            raise SkippableError(f"parent_issue_url {api_url!r} is not an issue URL")
        repo, number = match["repo"], match["number"]
        html = _html_base(html_hint)
        return self._ref(f"{repo}#{number}", f"{html}/{repo}/issues/{number}" if html else None)

    def _text_links(self, raw: dict[str, Any], repo: str, me: ItemRef) -> list[Link]:
        """Body text like "blocked by ABC-12" or "depends on o/r#7": that item blocks this one."""
        body = raw.get("body")
        if not isinstance(body, str) or not body:
            return []
        html = _html_base(str(raw.get("html_url") or ""))
        # REST keeps no body-edit history: the reference existed at this read's updated_at (the
        # engine dates one met on the issue's first read from its creation; README "Links")
        read_at = _dt(raw.get("updated_at"))
        links: dict[str, Link] = {}
        for pattern in self._patterns:
            for lead in pattern.finditer(body):
                tail = body[lead.end() :]
                stop = SENTENCE_END.search(tail)
                for ref in self._references(
                    tail[: stop.start() if stop else len(tail)], repo, html
                ):
                    if ref.key.lower() == me.key.lower():
                        continue
                    link_key = f"{ref.tracker}:{ref.key}>{me.tracker_id}"
                    links[link_key] = Link(link_key, "text_reference", ref, me, created_at=read_at)
        return list(links.values())

    def _references(self, text: str, repo: str, html: str) -> Iterator[ItemRef]:
        for m in REFERENCE.finditer(text):
            if m["jkey"]:
                yield ItemRef("jira", m["jkey"], m["jurl"])
            elif m["gurl"]:
                yield self._ref(f"{m['grepo']}#{m['gnum']}", m["gurl"])
            elif m["key"]:
                yield ItemRef("jira", m["key"])
            elif m["num"]:
                target = m["repo"] or repo
                yield self._ref(
                    f"{target}#{m['num']}", f"{html}/{target}/issues/{m['num']}" if html else None
                )

    # -- old keys -------------------------------------------------------------------------------

    def _probe_unresolved(self, request: SyncRequest) -> Iterator[Page]:
        """Keys in our repositories that stored links name (a Jira remote link to an old URL)
        but no stored issue has: trainyard never saw the issue there. One GET each: a transfer
        answers 301 to the issue's new place, whose id gets the old key as an alias (the item
        itself comes from the walk, or is stored one hop out when it left the scope). Any other
        answer (404, 410, a pull request, the issue still there) is noted in the memo and
        asked again on full sweeps only."""
        batch, asked = _Batch(), 0
        for key in request.unresolved():
            repo, _, number = key.rpartition("#")
            memo_key = f"probe:{key}"
            if repo.lower() not in self._scope or not number.isdigit():
                continue
            if (memo_key in self._memo and not request.full_sweep) or asked >= PROBE_LIMIT:
                continue
            asked += 1
            resp = self._get(f"/repos/{repo}/issues/{number}")
            if not self._moved_here(resp, key, batch):
                self._set_memo(batch, memo_key, str(resp.status))
            elif memo_key in self._memo:
                self._set_memo(batch, memo_key, None)
            if len(batch.aliases) + len(batch.outside_items) >= PER_PAGE:
                yield batch.page()
                batch = _Batch()
        if batch.aliases or batch.memo:
            yield batch.page()

    def _moved_here(self, resp: _Response, old_key: str, batch: _Batch) -> bool:
        """The issue a probed key leads to, if it now lives under another key."""
        raw = resp.data
        if resp.status != 200 or not isinstance(raw, dict) or "pull_request" in raw:
            return False
        try:
            repo = _repo_of(raw)
            new_key = f"{repo}#{int(raw['number'])}"
            if new_key.lower() == old_key.lower():
                return False  # still there, just not walked yet: the walk will store it
            if repo.lower() not in self._scope:
                item = self._work_item(raw, batch, in_scope=False)
                batch.outside_items[item.tracker_id] = item
            batch.aliases.append(Alias(str(raw["id"]), old_key))
        except (SkippableError, KeyError, TypeError, ValueError):
            return False
        return True

    def _set_memo(self, batch: _Batch, key: str, value: str | None) -> None:
        batch.memo[key] = value
        if value is None:
            self._memo.pop(key, None)
        else:
            self._memo[key] = value
