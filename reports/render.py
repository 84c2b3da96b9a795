"""Renderers: a report's dataclasses as JSON, CSV, Markdown or one self-contained HTML file.

JSON follows the contract in issue 5 exactly (``to_dict``); additional sections are top-level
keys: ``sync`` (census vs stored counts, quarantined records per source), ``hygiene``, and per
report ``matrix``/``buckets`` (dependencies), ``per_iteration`` (blocked), ``flow`` (flow).
CSV is the report's main table only (one row per dependency, blocked item or team-iteration).
Markdown and HTML carry everything. HTML goes through Jinja2 with autoescape on, so every
tracker string is inert; links are only emitted for http(s) URLs; CSS is inline and nothing
is loaded from the network.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment

from reports import jsontext, templating
from reports.blocked import BlockedReport
from reports.dependencies import Dependency, DependencyReport
from reports.flow import FlowReport
from reports.timefmt import people_time
from reports.views import Finding, Header, ItemView, Ref, iso

Report = DependencyReport | BlockedReport | FlowReport
FORMATS = ("json", "csv", "md", "html")


def report_name(report: Report) -> str:
    if isinstance(report, DependencyReport):
        return "dependencies"
    if isinstance(report, BlockedReport):
        return "blocked"
    return "flow"


def render(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (one of ``FORMATS``)."""
    renderers: dict[str, Callable[[Report], str]] = {
        "json": render_json,
        "csv": render_csv,
        "md": lambda r: _template("md", r),
        "html": lambda r: _template("html", r),
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return renderers[fmt](report)


# -- JSON --------------------------------------------------------------------------------------


def _when(at: Any) -> str | None:
    return iso(at) if at is not None else None


def item_dict(item: ItemView) -> dict[str, Any]:
    return {
        "source": item.source,
        "key": item.key,
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "team": item.team,
        "status": item.status,
        "status_category": item.status_category,
        "iteration": item.iteration,
        "outside_train": item.outside_train,
        "provisional": item.provisional,
    }


def dependency_dict(d: Dependency) -> dict[str, Any]:
    """A dependency as ``report dependencies`` gives it (the board's strings reuse it)."""
    return {
        "state": d.state,
        "origin": d.origin,
        "created_at": iso(d.created_at),
        "resolved_at": _when(d.resolved_at),
        "age_days": d.age_days,
        "cross_team": d.cross_team,
        "health": d.health,
        "blocker": item_dict(d.blocker),
        "blocked": item_dict(d.blocked),
    }


def ref_dict(ref: Ref) -> dict[str, str]:
    return {"source": ref.source, "key": ref.key}


def _header_dict(name: str, header: Header) -> dict[str, Any]:
    return {
        "report": name,
        "train": header.train,
        "generated_at": iso(header.generated_at),
        "as_of": iso(header.as_of),
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "last_success_at": _when(s.last_success_at),
                "stale": s.stale,
                "items": s.items,
            }
            for s in header.sources
        ],
    }


def _extras(header: Header, hygiene: tuple[Finding, ...]) -> dict[str, Any]:
    return {
        "sync": [
            {
                "source": s.name,
                "census_items": s.census_items,
                "stored_items": s.items,
                "quarantined": s.quarantined,
            }
            for s in header.sources
        ],
        "hygiene": [
            {"kind": f.kind, "message": f.message, "items": [ref_dict(r) for r in f.refs]}
            for f in hygiene
        ],
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document of a report (contract keys first, then the additional sections)."""
    out = _header_dict(report_name(report), report.header)
    if isinstance(report, DependencyReport):
        s = report.summary
        out["summary"] = {
            "open": s.open,
            "cross_team": s.cross_team,
            "red": s.red,
            "amber": s.amber,
            "green": s.green,
            "median_age_days": s.median_age_days,
        }
        out["dependencies"] = [dependency_dict(d) for d in report.dependencies]
        out["matrix"] = [
            {"waiting": c.waiting, "providing": c.providing, "open": c.open,
             "days_waited": c.days_waited}
            for c in report.matrix
        ]  # fmt: skip
        out["buckets"] = dict(report.buckets)
        out["include_resolved"] = report.include_resolved
    elif isinstance(report, BlockedReport):
        out["summary"] = {
            "blocked": report.summary.blocked,
            "by_team": dict(report.summary.by_team),
        }
        out["blocked"] = [
            {
                "item": item_dict(b.item),
                "reasons": list(b.reasons),
                "flag_reason": b.flag_reason,
                "blocked_since": iso(b.blocked_since),
                "blocked_days": b.blocked_days,
                "blocked_by": [ref_dict(r) for r in b.blocked_by],
                "root_blockers": [ref_dict(r) for r in b.root_blockers],
            }
            for b in report.blocked
        ]
        out["root_blockers"] = [
            {"item": item_dict(r.item), "impact": r.impact} for r in report.root_blockers
        ]
        out["cycles"] = [[ref_dict(r) for r in cycle] for cycle in report.cycles]
        out["per_iteration"] = dict(report.summary.by_iteration)
        out["stalled"] = [
            {
                "item": item_dict(st.item),
                "last_activity_at": iso(st.last_activity_at),
                "idle_days": st.idle_days,
            }
            for st in report.stalled
        ]
    else:
        out["summary"] = {
            "pi": report.pi,
            "throughput": sum(r.throughput for r in report.rows),
            "velocity_drops": sum(1 for r in report.rows if r.velocity_drop),
        }
        out["flow"] = [_flow_row(r) for r in report.rows]
    out.update(_extras(report.header, report.hygiene))
    return out


def _flow_row(row: Any) -> dict[str, Any]:
    return {
        "team": row.team,
        "iteration": row.iteration,
        "start": iso(row.start),
        "end": iso(row.end),
        "complete": row.complete,
        "throughput": row.throughput,
        "wip": row.wip,
        "lead_time_median_days": row.lead_time_median_days,
        "lead_time_p85_days": row.lead_time_p85_days,
        "blocked_days": row.blocked_days,
        "trailing_mean": row.trailing_mean,
        "velocity_drop": row.velocity_drop,
    }


def render_json(report: Report) -> str:
    return jsontext.dumps(to_dict(report)) + "\n"  # json.dumps(..., indent=2), faster


# -- CSV ---------------------------------------------------------------------------------------


def _item_columns(prefix: str, item: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in item.items()}


def csv_rows(report: Report) -> list[dict[str, Any]]:
    """The report's main table as flat rows (nested items prefixed, lists joined with ';')."""
    doc = to_dict(report)
    if isinstance(report, DependencyReport):
        return [
            {
                **{k: v for k, v in d.items() if k not in ("blocker", "blocked")},
                **_item_columns("blocker_", d["blocker"]),
                **_item_columns("blocked_", d["blocked"]),
            }
            for d in doc["dependencies"]
        ]
    if isinstance(report, BlockedReport):
        return _blocked_rows(doc)
    return list(doc["flow"])


def _blocked_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Blocked items, then stalled ones (``section`` says which; each fills its columns)."""
    rows = [
        {
            **_item_columns("", b["item"]),
            "reasons": ";".join(b["reasons"]),
            "flag_reason": b["flag_reason"],
            "blocked_since": b["blocked_since"],
            "blocked_days": b["blocked_days"],
            "blocked_by": ";".join(f"{r['source']}:{r['key']}" for r in b["blocked_by"]),
            "root_blockers": ";".join(f"{r['source']}:{r['key']}" for r in b["root_blockers"]),
            "section": "blocked",
            "last_activity_at": None,
            "idle_days": None,
        }
        for b in doc["blocked"]
    ]
    empty = dict.fromkeys(("reasons", "flag_reason", "blocked_since", "blocked_days",
                           "blocked_by", "root_blockers"))  # fmt: skip
    rows.extend(
        {
            **_item_columns("", st["item"]),
            **empty,
            "section": "stalled",
            "last_activity_at": st["last_activity_at"],
            "idle_days": st["idle_days"],
        }
        for st in doc["stalled"]
    )
    return rows


CSV_EMPTY_HEADERS = {
    "dependencies": ["state", "origin", "created_at", "resolved_at", "age_days", "cross_team",
                     "health", "blocker_key", "blocked_key"],
    "blocked": ["source", "key", "title", "reasons", "blocked_since", "blocked_days"],
    "flow": ["team", "iteration", "throughput", "wip"],
}  # fmt: skip


def render_csv(report: Report) -> str:
    rows = csv_rows(report)
    fields = list(rows[0]) if rows else CSV_EMPTY_HEADERS[report_name(report)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# -- Markdown and HTML -------------------------------------------------------------------------


def safe_href(url: str) -> str | None:
    """The URL if it is http(s) (a tracker could hand us ``javascript:``), else None."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def md_cell(value: Any) -> str:
    """A Markdown table cell: no line breaks, pipes escaped, HTML characters as entities."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = " ".join(str(value).split())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "\\`")):
        text = text.replace(raw, escaped)
    return text


@cache
def environment(kind: str) -> Environment:
    """The templates of the report formats: HTML autoescaped, Markdown escaped with ``|cell``;
    ``|local`` shows times for people (train time zone, to the minute)."""
    return templating.environment(
        autoescape=kind == "html", cell=md_cell, href=safe_href, local=people_time
    )


def _template(kind: str, report: Report) -> str:
    env = environment(kind)
    template = env.get_template(f"report.{kind}.j2")
    stalled_days = report.stalled_days if isinstance(report, BlockedReport) else None
    return template.render(
        doc=to_dict(report),
        name=report_name(report),
        tz=report.header.timezone,
        stalled_days=_number(stalled_days),
    )


def _number(value: float | None) -> str:
    """5.0 → "5", 2.5 → "2.5" (a setting as the reader wrote it)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
