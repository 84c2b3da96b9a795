"""Cursor rules, in one place.

* A cursor never passes the sync's start time: what changed during the run is re-read next time.
* Every incremental run re-reads ``lookback`` before its cursor (tracker search is eventually
  consistent; Jira minute-truncates; clocks drift). Idempotent upserts make the overlap free.
* Sorted streams advance the cursor per committed page; a connector yields ``Page.cursor=None``
  until it can promise that everything before the cursor is stored.
* A backfill window (``--since``/``--until``) keeps its own resume cursor and never moves the
  incremental one. The first incremental run after a whole-scope backfill starts at that
  backfill's cursor: everything before it is stored, so re-reading the scope would fetch nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def fetch_since(cursor: datetime | None, lookback: timedelta) -> datetime | None:
    """Where an incremental run starts reading: the cursor minus the lookback (None: everything)."""
    return None if cursor is None else cursor - lookback


def advance(
    current: datetime | None, reached: datetime | None, started_at: datetime
) -> datetime | None:
    """The cursor after a page reaching ``reached`` is stored: forward only, never past start."""
    if reached is None:
        return current
    capped = min(reached, started_at)
    return capped if current is None or capped > current else current


def first_incremental(backfill: datetime | None, window: str | None) -> datetime | None:
    """Where an incremental run without a cursor of its own starts: at a whole-scope
    backfill's cursor (a bounded window's cursor says nothing about the rest of the scope)."""
    return backfill if window == window_label(None, None) else None


def completed(current: datetime | None, started_at: datetime) -> datetime:
    """The cursor after a successful run: everything before the start has been read."""
    return started_at if current is None or started_at > current else current


def backfill_since(
    window_since: datetime | None, resume: datetime | None, lookback: timedelta
) -> datetime | None:
    """Where a (resumed) backfill starts: its stored resume point minus the lookback, never
    before the window's own start."""
    if resume is None:
        return window_since
    start = resume - lookback
    return start if window_since is None or start > window_since else window_since


def window_label(since: datetime | None, until: datetime | None) -> str:
    """Names a backfill window, so a resume cursor is only reused for the same window."""
    return f"{since.isoformat() if since else '-'}..{until.isoformat() if until else '-'}"
