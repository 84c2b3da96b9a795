"""Census pages into record pages, the next group's bulk reads under way while one is stored.

A census page (up to 5000 ids) becomes record pages of ≤100 changed issues (``bulkfetch`` takes
100 ids), fetched in groups of up to ``GROUP`` pages: one ``changelog/bulkfetch`` takes 1000 ids
(``api-facts.md`` §7), so a group's histories cost one request (or a few, 10,000 histories a
page) instead of one per page. Fetching a group is HTTP (``get``, one payload per page);
turning a page into records is CPU (``read``), and so is storing it (the engine, while the
generator waits at ``yield``). The ``get`` of the next group runs on a thread of its own in the
meantime, so the tracker's answer time hides behind the storing of the pages before it. Pages
still come out, and are committed, in census order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from connectors.base import Census, Page
from connectors.jira.batch import Batch
from connectors.jira.census import CensusEntry
from connectors.jira.settings import BULK, CHANGELOG_IDS

Chunk = tuple[list[str], CensusEntry]  # the changed ids of one page; the last entry it covers
GROUP = CHANGELOG_IDS // BULK  # record pages fetched together: one changelog read
Fetch = tuple[list[int], "Future[list[Any]]"]  # a group's chunk indexes; its payloads to come


def chunk_entries(entries: Sequence[CensusEntry], changed: set[str]) -> list[Chunk]:
    """A census page as record pages: ≤100 changed ids each; unchanged runs ride along."""
    chunks: list[Chunk] = []
    todo: list[str] = []
    for index, entry in enumerate(entries):
        if entry.tracker_id in changed:
            todo.append(entry.tracker_id)
        if len(todo) == BULK or index == len(entries) - 1:
            chunks.append((todo, entry))
            todo = []
    return chunks


def groups(chunks: Sequence[Chunk]) -> list[list[int]]:
    """Indexes of the chunks with ids, ``GROUP`` at a time (unchanged runs need no fetch)."""
    wanted = [n for n, (ids, _) in enumerate(chunks) if ids]
    return [wanted[at : at + GROUP] for at in range(0, len(wanted), GROUP)]


def record_pages(
    walk: Iterable[list[CensusEntry]],
    chunks_of: Callable[[Sequence[CensusEntry]], list[Chunk]],
    get: Callable[[list[list[str]]], list[Any]],
    read: Callable[[list[str], Any], Batch],
    *,
    by_updated: bool,
    census: bool,
) -> Iterator[Page]:
    """When the walk is ordered by ``updated``, each page's cursor is the ``updated`` of the
    last census entry it covers: every earlier entry is then stored (fetched now, or unchanged
    since it was stored). A census walk marks each census page's ids, then completes."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-prefetch") as ahead:

        def fetch(chunks: Sequence[Chunk], todo: list[list[int]]) -> Fetch | None:
            """The next group's reads, started on the prefetch thread."""
            if not todo:
                return None
            group = todo.pop(0)
            return group, ahead.submit(get, [chunks[n][0] for n in group])

        for entries in walk:
            chunks = chunks_of(entries)
            todo = groups(chunks)
            nxt = fetch(chunks, todo)
            payloads: dict[int, Any] = {}
            for index, (ids, entry) in enumerate(chunks):
                if ids and index not in payloads:
                    assert nxt is not None  # every chunk with ids is in the next group
                    payloads = dict(zip(nxt[0], nxt[1].result(), strict=True))
                    nxt = fetch(chunks, todo)
                batch = read(ids, payloads.pop(index)) if ids else Batch()  # (freed as read)
                extra: dict[str, Any] = {}
                if by_updated and entry.updated is not None:
                    extra["cursor"] = entry.updated
                if index == len(chunks) - 1 and census:
                    extra["census"] = Census(tuple(e.tracker_id for e in entries))
                yield batch.page(**extra)
    if census:
        yield Page(census=Census((), complete=True))
