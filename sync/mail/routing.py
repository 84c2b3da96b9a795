"""Who gets which digest, the digest period, and the Message-ID that names one delivery.

* ``[digest] to``: each address gets the whole train's digest; ``[[digest.routes]]``: each
  address gets its team's slice (the team's own items and the items it blocks). An address
  is listed once (the config check says so), so one (period, address) is one digest.
* **Period**: the train-local calendar day of the run (``2026-12-07`` in the train's time
  zone). A digest is sent at most once per period and recipient, however often the job or
  the command runs that day; the next day is a new period.
* **Message-ID**: derived from the train, the period and the recipient alone, so a retry of
  the same delivery carries the same id and receiving systems can recognise a duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from sync.config_digest import DigestConfig

ID_DOMAIN = "trainyard.invalid"  # when the sender has no domain of its own


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    team: str | None  # None: the whole train (the RTE's digest)


def recipients(digest: DigestConfig) -> tuple[Recipient, ...]:
    """The train's addresses first, then each route's, in config order."""
    found = [Recipient(a, None) for a in digest.to]
    found += [Recipient(a, route.team) for route in digest.routes for a in route.to]
    return tuple(found)


def period_of(now: datetime, timezone: str) -> str:
    """The digest period ``now`` falls in: its train-local day."""
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def message_id(train: str, period: str, recipient: str, sender: str = "") -> str:
    """``<digest.2026-12-07.<hash>@domain>``: the same for every attempt of one delivery."""
    address = parseaddr(recipient)[1].casefold() or recipient.casefold()
    digest = hashlib.sha256(f"{train}\n{period}\n{address}".encode()).hexdigest()[:24]
    domain = parseaddr(sender)[1].rpartition("@")[2] or ID_DOMAIN
    return f"<digest.{period}.{digest}@{domain}>"


def chart_cid(message_id_value: str) -> str:
    """The chart part's Content-ID (without brackets), unique with the message."""
    local, _, domain = message_id_value.strip("<>").partition("@")
    return f"chart.{local}@{domain}"
