"""Remote links: read for the issues whose history shows them, and swept in a pass of their own.

Remote links are not in search or bulk results: each costs one ``GET issue/{id}/remotelink``.
An incremental sync reads them for the changed issues whose changelog shows a new
``RemoteIssueLink`` (or ``RemoteWorkItemLink``) item. The **first load** reads none (at 6% of
issues they would be most of its requests): it notes the issues whose history shows one
(``Deferred``), with the times the history gives their links, and the sweep pass right after it
reads those first. The sweep pass also catches links whose edits Jira did not record
(``api-facts.md`` §4: whether they bump ``updated`` is unverified):

* it starts when the engine says a full sweep is due (after the first load, then every
  ``full_sweep_hours``) and runs only after the run's data and cursor are stored;
* it reads the first load's noted issues first (stored in the memo by the pages that noted
  them, ``FIRST_KEY``; each sweep page clears those it read), then walks the scope's other ids
  in ascending id order, one page per ≤100 issues, each page carrying its position in the
  connector memo (``SWEEP_KEY``), committed with the links it read, so a crash or a stopped
  run resumes after the last stored page, in the next run;
* it is paced: an incremental sync spends at most ``sweep_per_run`` requests on it (a
  backfill finishes the pass), and it stops for the run when the rate budget Jira reports
  falls below ``rate_limit_reserve`` (or Jira says it is near its limit).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import Gone, Page
from connectors.errors import SkippableError, Vanished
from connectors.jira.api import JiraApi
from connectors.jira.batch import Batch
from connectors.jira.pool import each
from connectors.jira.reader import IssueReader
from connectors.jira.settings import BULK, FIRST_KEY, REMOTE_LINK_FIELDS, SWEEP_KEY
from connectors.jira.values import parse_time

Answer = list[dict[str, Any]] | Vanished
# a page's noted issues: (memo key, [(issue id, {"issue:remote id": added, ISO time})])
Noted = tuple[str, list[tuple[str, dict[str, str]]]]


def shows_remote_link(histories: Iterable[Mapping[str, Any]], after: datetime | None) -> bool:
    """Whether a history shows a remote link change at or after ``after`` (None: ever), as
    ``connectors.jira.history.read_history`` decides it."""
    for hist in histories:
        items = hist.get("items") or ()
        if not any(str(i.get("field")) in REMOTE_LINK_FIELDS for i in items):
            continue
        try:
            if after is None or parse_time(hist.get("created"), "history created") >= after:
                return True
        except SkippableError:
            return False  # the issue is quarantined when read
    return False


def id_order(tracker_id: str) -> tuple[int, str]:
    """Jira ids are integers; order them as numbers (strings sort after, for safety)."""
    return (int(tracker_id), "") if tracker_id.isdigit() else (1 << 62, tracker_id)


class RemoteLinks:
    """Reads remote links of issues in a bounded pool, each issue at most once per run."""

    def __init__(self, api: JiraApi, workers: int) -> None:
        self.api = api
        self.workers = workers
        self.done: set[str] = set()  # read (or found gone) this run

    def ahead(self, ids: Iterable[str]) -> dict[str, Answer]:
        """Read before the page is read into records (on the prefetch thread); ``fetch``
        takes these answers as ``ready``."""
        todo = [iid for iid in dict.fromkeys(ids) if iid not in self.done]
        self.done.update(todo)
        return dict(zip(todo, each(self._read, todo, self.workers), strict=True))

    def fetch(
        self,
        wanted: Iterable[tuple[str, str]],
        reader: IssueReader,
        batch: Batch,
        ready: Mapping[str, Answer] | None = None,
    ) -> int:
        """Remote links of ``(id, key)`` pairs into ``batch`` (answers read ahead are used,
        the others read now); returns the requests made now."""
        ready = ready or {}
        todo = [
            (iid, key) for iid, key in dict(wanted).items() if iid in ready or iid not in self.done
        ]
        fresh = [iid for iid, _ in todo if iid not in ready]
        self.done.update(fresh)
        answers = {**ready, **dict(zip(fresh, each(self._read, fresh, self.workers), strict=True))}
        for iid, key in todo:
            answer = answers[iid]
            if isinstance(answer, Vanished):  # deleted since listed: missing, not a failure
                batch.gone.append(Gone(iid, str(answer)))
            else:
                reader.remote_links(iid, key, answer, batch)
        self.done.difference_update(set(ready) - {iid for iid, _ in todo})  # read, not used
        return len(fresh)

    def _read(self, iid: str) -> Answer:
        try:
            return self.api.remote_links(iid)
        except Vanished as exc:
            return exc


@dataclass(frozen=True, slots=True)
class SweepState:
    """Where a sweep pass stands: the last id whose remote links are stored, and its start."""

    after: str
    started: str

    def memo(self) -> str:
        return json.dumps({"after": self.after, "started": self.started})


@dataclass(slots=True)
class Deferred:
    """The issues a first load found remote links for in their history, for the sweep pass:
    each page notes its own under a memo key of its own (``FIRST_KEY:<first id>``), stored
    with the page, so a first load that stops half way loses none of them."""

    noted: list[Noted] = field(default_factory=list)  # this run's, in census order

    def note(self, batch: Batch) -> None:
        """The page's issues whose history shows a remote link, and their links' times."""
        ids = list(dict(batch.remote_ids))
        if not ids:
            return
        times: dict[str, dict[str, str]] = {}
        for key, at in batch.remote_times.items():
            times.setdefault(key.split(":", 1)[0], {})[key] = at.isoformat()
        entries = [(iid, times.get(iid, {})) for iid in ids]
        key = f"{FIRST_KEY}:{ids[0]}"
        self.noted.append((key, entries))
        batch.memo[key] = json.dumps(entries)

    def all(self, memo: Mapping[str, str]) -> list[Noted]:
        """Those stored by earlier runs (a first load that stopped), then this run's."""
        return [*noted_in(memo), *self.noted]


def noted_in(memo: Mapping[str, str]) -> list[Noted]:
    """The noted issues stored in ``memo`` (an unreadable entry: the id walk reads them)."""
    found: list[Noted] = []
    for key in sorted((k for k in memo if k.startswith(FIRST_KEY + ":")), key=_noted_order):
        try:
            found.append((key, [(str(i), dict(t)) for i, t in json.loads(memo[key])]))
        except (ValueError, TypeError):
            found.append((key, []))  # cleared by the pass like any other
    return found


def _noted_order(key: str) -> tuple[int, str]:
    return id_order(key.rsplit(":", 1)[1])


def sweep_state(memo: Mapping[str, str], due: bool, now: datetime) -> SweepState | None:
    """The pass to run now: the one in progress, else a new one when a full sweep is due (or
    a first load left issues noted for it)."""
    raw = memo.get(SWEEP_KEY)
    if raw:
        try:
            data = json.loads(raw)
            return SweepState(str(data["after"]), str(data["started"]))
        except (ValueError, KeyError, TypeError):
            pass  # an unreadable position: start the pass again (rereading is harmless)
    noted = any(k.startswith(FIRST_KEY + ":") for k in memo)
    return SweepState("", now.isoformat()) if due or raw or noted else None


@dataclass(slots=True)
class Pacer:
    """How much of the sweep this run may do."""

    api: JiraApi
    reserve: int
    cap: int | None  # requests this run may spend on the sweep; None: no cap (backfill)
    spent: int = 0

    def room(self) -> int:
        """Issues the next page may sweep (0: stop for this run)."""
        remaining = self.api.rate_limit_remaining
        if self.api.near_limit or (remaining is not None and remaining < self.reserve):
            return 0
        return BULK if self.cap is None else max(0, min(BULK, self.cap - self.spent))


def sweep_pages(
    scope: Sequence[tuple[str, str]],
    state: SweepState,
    remotes: RemoteLinks,
    reader: IssueReader,
    pacer: Pacer,
    noted: Sequence[Noted] = (),
) -> Iterator[Page]:
    """Pages of remote links: the ``noted`` issues (each page clears, or shortens, the memo
    entries it read), then the scope's other ``(id, key)`` pairs after ``state.after``; the
    last page clears the position (the pass is complete)."""
    keys = dict(scope)
    todo_first = [(key, list(entries)) for key, entries in noted]
    skip = {iid for _, entries in noted for iid, _ in entries}
    while todo_first:
        room = pacer.room()
        if room == 0:  # the pass stays in progress: the next run goes on from here
            yield Page(memo={SWEEP_KEY: state.memo()})
            return
        batch = Batch()
        wanted: list[tuple[str, str]] = []
        while todo_first and len(wanted) < room:
            key, entries = todo_first[0]
            take, rest = entries[: room - len(wanted)], entries[room - len(wanted) :]
            for iid, times in take:
                batch.remote_times.update((k, datetime.fromisoformat(v)) for k, v in times.items())
                if iid in keys:  # (not listed now: gone since)
                    wanted.append((iid, keys[iid]))
            batch.memo[key] = json.dumps(rest) if rest else None
            if rest:
                todo_first[0] = (key, rest)
                break
            todo_first.pop(0)
        pacer.spent += remotes.fetch(wanted, reader, batch)
        batch.memo[SWEEP_KEY] = state.memo()
        yield batch.page()
    yield from _id_walk(scope, state, remotes, reader, pacer, skip)


def _id_walk(
    scope: Sequence[tuple[str, str]],
    state: SweepState,
    remotes: RemoteLinks,
    reader: IssueReader,
    pacer: Pacer,
    skip: set[str],
) -> Iterator[Page]:
    start = id_order(state.after) if state.after else (-1, "")
    todo = sorted(
        (pair for pair in scope if pair[0] not in skip and id_order(pair[0]) > start),
        key=lambda p: id_order(p[0]),
    )
    at = 0
    while at < len(todo):
        room = pacer.room()
        if room == 0:  # the pass stays in progress: the next run goes on from here
            yield Page(memo={SWEEP_KEY: state.memo()})
            return
        chunk, at = todo[at : at + room], at + room
        batch = Batch()
        pacer.spent += remotes.fetch(chunk, reader, batch)
        state = SweepState(chunk[-1][0], state.started)
        batch.memo[SWEEP_KEY] = state.memo()
        yield batch.page()
    yield Page(memo={SWEEP_KEY: None})
