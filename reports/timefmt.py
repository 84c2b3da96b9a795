"""Times for people: the train's time zone, to the minute ("Tue 7 Apr 10:00 AEST").

Every format read by people (Markdown, HTML, the board, the digest) shows times through
``people_time``; JSON and CSV keep UTC ISO-8601 (``reports.views.iso``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def people_time(value: str | datetime | None, tz: str | ZoneInfo) -> str:
    """An instant (aware datetime or ISO-8601 text) in ``tz``, to the minute; "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        at = value
    else:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"
