"""Sync health first: each source's freshness, and what a problem means for the numbers.

The report header (``reports.header``) says per source when it last synced, whether that is
stale (older than 3 sync intervals), the census against the stored count and how many records
were quarantined; ``trainyard status`` adds whether the last run failed (``SourceRun``). Each
problem becomes one sentence saying what the reader must discount below.
"""

from __future__ import annotations

from collections.abc import Mapping

from reports.digest.model import SourceNote, SourceRun
from reports.timefmt import people_time
from reports.views import Header, SourceHealth


def source_notes(
    header: Header, runs: Mapping[str, SourceRun], timezone: str
) -> tuple[SourceNote, ...]:
    return tuple(_note(s, runs.get(s.name), timezone) for s in header.sources)


def _note(s: SourceHealth, run: SourceRun | None, tz: str) -> SourceNote:
    failing = run is not None and run.failing
    return SourceNote(
        name=s.name,
        kind=s.kind,
        last_success_at=s.last_success_at,
        stale=s.stale,
        failing=failing,
        items=s.items,
        census_items=s.census_items,
        quarantined=s.quarantined,
        problems=tuple(_problems(s, run, tz)),
    )


def _problems(s: SourceHealth, run: SourceRun | None, tz: str) -> list[str]:
    found: list[str] = []
    since = people_time(s.last_success_at, tz) if s.last_success_at else ""
    if run is not None and run.failing:
        why = f" ({run.last_error})" if run.last_error else ""
        found.append(
            f"The last sync of {s.name} failed{why}. "
            + (
                f"Changes in {s.name} after {since} are missing from the numbers below."
                if since
                else f"Nothing from {s.name} is in the numbers below."
            )
        )
    if s.last_success_at is None:
        found.append(f"{s.name} has never synced: none of its items are counted below.")
    elif s.stale:
        found.append(
            f"{s.name} is stale: its last successful sync was {since}. Its items below are "
            "as they stood then; newer blockers and resolutions are not shown."
        )
    if s.census_items is not None and s.census_items > s.items:
        gap = s.census_items - s.items
        found.append(
            f"The last census of {s.name} counted {s.census_items} items but {s.items} are "
            f"stored: the counts below may be short by up to {gap}."
        )
    if s.quarantined:
        records = "record" if s.quarantined == 1 else "records"
        found.append(
            f"{s.quarantined} {records} of {s.name} quarantined as malformed: not counted "
            "below until fixed in the tracker."
        )
    return found
