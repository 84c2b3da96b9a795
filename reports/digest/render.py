"""The digest as plain text and as HTML for mail clients, through Jinja2 templates.

HTML is autoescaped (every tracker string inert, links only for http(s) URLs) with inline
styles and tables, no scripts and no external images: the chart is referenced as ``cid:``
and travels in the same message. Text shows tracker strings as written, one line each.
Times are ``reports.timefmt.people_time`` in the train's time zone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from reports import templating
from reports.digest.compose import team_label
from reports.digest.model import Digest
from reports.render import safe_href
from reports.timefmt import people_time


def render_text(digest: Digest) -> str:
    return _render("txt", digest, chart_cid=None)


def render_html(digest: Digest, chart_cid: str | None = None) -> str:
    """The HTML part; ``chart_cid`` is the Content-ID of the chart part (None: no chart)."""
    return _render("html", digest, chart_cid=chart_cid)


def subject(digest: Digest) -> str:
    """A one-line subject: the train (and team), the date and what needs attention."""
    c = digest.changes
    parts: list[str] = []
    if digest.sync_red:
        parts.append("sync problem")
    for count, what in (
        (c.turned_red.total, "turned red"),
        (c.new_dependencies.total, "new dependencies"),
        (c.newly_blocked.total, "newly blocked"),
        (c.aged.total, "aging"),
        (c.newly_stalled.total, "newly stalled"),
    ):
        if count:
            parts.append(f"{count} {what}")
    if not parts:
        parts.append("nothing changed" if not c.any else "changes")
    day = people_time(digest.as_of, digest.timezone).rsplit(" ", 2)[0]
    scope = f" for {digest.team}" if digest.team else ""
    return " ".join(f"{digest.train} digest{scope}, {day}: {', '.join(parts)}".split())


def _render(kind: str, digest: Digest, chart_cid: str | None) -> str:
    return (
        _environment(kind).get_template(f"digest.{kind}.j2").render(d=digest, chart_cid=chart_cid)
    )


@cache
def _environment(kind: str) -> Environment:
    return templating.environment(
        autoescape=kind == "html", href=safe_href, line=_line, team=team_label, when=_when
    )


def _line(value: Any) -> str:
    return " ".join(str(value or "").split())


@pass_context
def _when(context: Context, value: Any) -> str:
    """An instant for people, in the zone of the digest being rendered."""
    digest: Digest = context["d"]
    return people_time(value, digest.timezone) if value else "never"
