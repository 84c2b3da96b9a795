"""Census pages into record pages, the next page's bulk reads under way while one is stored.

A census page (up to 5000 ids) becomes record pages of ≤100 changed issues. Fetching a page is
HTTP (``get``); turning it into records is CPU (``read``), and so is storing it (the engine, while
the generator waits at ``yield``). The ``get`` of the next page runs on a thread of its own in
the meantime, so the tracker's answer time hides behind the storing of the page before it.
Pages still come out, and are committed, in census order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.base import Census, Page
from connectors.jira.batch import Batch
from connectors.jira.census import CensusEntry
from connectors.jira.settings import BULK

Chunk = tuple[list[str], CensusEntry]  # the changed ids of one page; the last entry it covers


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


def record_pages(
    walk: Iterable[list[CensusEntry]],
    chunks_of: Callable[[Sequence[CensusEntry]], list[Chunk]],
    get: Callable[[list[str]], Any],
    read: Callable[[list[str], Any], Batch],
    *,
    by_updated: bool,
    census: bool,
) -> Iterator[Page]:
    """When the walk is ordered by ``updated``, each page's cursor is the ``updated`` of the
    last census entry it covers: every earlier entry is then stored (fetched now, or unchanged
    since it was stored). A census walk marks each census page's ids, then completes."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-prefetch") as ahead:
        for entries in walk:
            chunks = chunks_of(entries)
            nxt = ahead.submit(get, chunks[0][0]) if chunks and chunks[0][0] else None
            for index, (ids, entry) in enumerate(chunks):
                payload = nxt.result() if nxt is not None else None
                more = chunks[index + 1][0] if index + 1 < len(chunks) else None
                nxt = ahead.submit(get, more) if more else None
                batch = read(ids, payload) if ids else Batch()
                extra: dict[str, Any] = {}
                if by_updated and entry.updated is not None:
                    extra["cursor"] = entry.updated
                if index == len(chunks) - 1 and census:
                    extra["census"] = Census(tuple(e.tracker_id for e in entries))
                yield batch.page(**extra)
    if census:
        yield Page(census=Census((), complete=True))
