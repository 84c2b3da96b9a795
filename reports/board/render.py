"""The board as JSON (the contract other tools read) and as one self-contained HTML file.

The HTML is rendered from the JSON object itself: Jinja2 with autoescape (every tracker string
inert), links only for http(s) URLs, CSS and JS inline and nothing loaded from anywhere. The
strings are listed in the page (an accessible list, and what DOM tests read) and drawn by the
inline script as SVG from data embedded in ``<script type="application/json">`` (``tojson``
escapes ``<``, ``>`` and ``&``, so a title cannot close the script). A Content-Security-Policy
allows only that one script, by its hash.

Line style by health, so colour is never the only signal: red solid, amber dashed, green dotted;
links to a done blocker (shown on request) grey dash-dot.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from reports.board.model import BoardReport
from reports.drift import drift_layer_dict
from reports.objectives import objectives_layer_dict
from reports.render import _extras, _header_dict, dependency_dict, environment, item_dict
from reports.views import iso

STYLES = {"red": "solid", "amber": "dashed", "green": "dotted"}
DONE_STYLE = "dash-dot"  # a done blocker's link, grey: shown only on request
FORMATS = ("html", "json")


def board_dict(report: BoardReport) -> dict[str, Any]:
    """The board's JSON object: the reports' header, then the board's own keys."""
    out = _header_dict("board", report.header)
    out["pi"] = report.pi.name
    out["level"] = report.level
    out["iterations"] = [
        {"name": it.name, "start": iso(it.start), "end": iso(it.end), "ip": it.is_ip}
        for it in report.pi.iterations
    ]
    out["rows"] = list(report.rows)
    out["cards"] = [
        {
            **item_dict(c.item),
            "planned_iteration": c.planned_iteration,
            "blocked": c.blocked,
            "stalled": c.stalled,
            "should_be_unblocked": c.should_be_unblocked,
            "type": c.type,
            "row": c.row,
            "carried_from": list(c.carried_from),
            "reasons": list(c.reasons),
            "flag_reason": c.flag_reason,
        }
        for c in report.cards
    ]
    out["dependencies"] = [
        {**dependency_dict(d.dependency), "slack_iterations": d.slack_iterations}
        for d in report.dependencies
    ]
    out["done_dependencies"] = [
        {**dependency_dict(d.dependency), "slack_iterations": d.slack_iterations}
        for d in report.done_dependencies
    ]
    out["stubs"] = [
        {"item": item_dict(s.item), "row": s.row, "column": s.column, "why": s.why}
        for s in report.stubs
    ]
    out["summary"] = _summary(out)
    out["drift"] = drift_layer_dict(report.drift) if report.drift is not None else None
    out["drift_note"] = report.drift_note
    out["objectives"] = objectives_layer_dict(report.objectives)["teams"]
    out.update(_extras(report.header, report.hygiene))
    return out


def _summary(doc: dict[str, Any]) -> dict[str, int]:
    deps, cards = doc["dependencies"], doc["cards"]
    return {
        "cards": len(cards),
        "strings": len(deps),
        "done_strings": len(doc["done_dependencies"]),
        **{c: sum(1 for d in deps if d["health"] == c) for c in ("red", "amber", "green")},
        "blocked": sum(1 for c in cards if c["blocked"]),
        "stalled": sum(1 for c in cards if c["stalled"]),
        "should_be_unblocked": sum(1 for c in cards if c["should_be_unblocked"]),
        "unmapped": sum(1 for c in cards if c["team"] is None),
        "stale_sources": sum(1 for s in doc["sources"] if s["stale"]),
    }


def render_board(report: BoardReport, fmt: str) -> str:
    doc = board_dict(report)
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_html(doc, report.timezone)
    raise ValueError(f"unknown board format {fmt!r}; use one of: {', '.join(FORMATS)}")


# -- HTML --------------------------------------------------------------------------------------


def render_html(doc: dict[str, Any], tz: str) -> str:
    layout = _layout(doc)
    script = _asset("board.js")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return (
        environment("html")
        .get_template("board.html.j2")
        .render(
            doc=doc,
            tz=tz,
            layout=layout,
            data=layout["data"],
            css=Markup(_asset("board.css")),
            script=Markup(script),
            script_hash=digest,
        )
    )


def _layout(doc: dict[str, Any]) -> dict[str, Any]:
    """Where everything goes: element ids, cells, strings' ends, drift marks, objectives."""
    card_el = {(c["source"], c["key"]): f"card-{n}" for n, c in enumerate(doc["cards"])}
    stub_el = {
        (s["item"]["source"], s["item"]["key"]): f"stub-{n}" for n, s in enumerate(doc["stubs"])
    }
    columns: list[str | None] = [it["name"] for it in doc["iterations"]]
    columns.append(None)
    cells: dict[tuple[str, str | None], dict[str, list[int]]] = {
        (row, col): {"cards": [], "stubs": []} for row in doc["rows"] for col in columns
    }
    for n, c in enumerate(doc["cards"]):
        cells[(c["row"], c["planned_iteration"])]["cards"].append(n)
    for n, s in enumerate(doc["stubs"]):
        cells[(s["row"], s["column"])]["stubs"].append(n)
    strings = [
        _string(f"string-{n}", d, card_el, stub_el, done=False)
        for n, d in enumerate(doc["dependencies"])
    ]
    done = [
        _string(f"done-string-{n}", d, card_el, stub_el, done=True)
        for n, d in enumerate(doc["done_dependencies"])
    ]
    objectives = {t["team"]: t["objectives"] for t in doc["objectives"]}
    return {
        "columns": columns,
        "cells": cells,
        "strings": strings,
        "done_strings": done,
        "objectives": objectives,
        "drift": _drift_marks(doc),
        "data": {
            "strings": strings + done,
            "cards": [
                {"el": f"card-{n}", "team": c["row"], "done": c["status_category"] == "done"}
                for n, c in enumerate(doc["cards"])
            ],
            "stubs": [{"el": f"stub-{n}", "team": s["row"]} for n, s in enumerate(doc["stubs"])],
        },
    }


def _string(
    el_id: str,
    d: dict[str, Any],
    card_el: dict[tuple[str, str], str],
    stub_el: dict[tuple[str, str], str],
    *,
    done: bool,
) -> dict[str, Any]:
    """What the script needs to draw one string (and the list item shows)."""
    ends = [(d[end]["source"], d[end]["key"]) for end in ("blocker", "blocked")]
    blocker, blocked = (card_el.get(e) or stub_el[e] for e in ends)
    return {
        "id": el_id,
        "from": blocker,
        "to": blocked,
        "health": d["health"],
        "style": DONE_STYLE if done else STYLES[d["health"]],
        "done": done,
        "cross_team": d["cross_team"],
        "slack": d["slack_iterations"],
        "label": f"{d['blocker']['key']} blocks {d['blocked']['key']}",
    }


def _drift_marks(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Per card (source, key), its drift since the baseline in a few words."""
    drift = doc["drift"]
    if drift is None:
        return {}
    marks: dict[tuple[str, str], str] = {}
    for f in drift["features"]:
        ref = (f["item"]["source"], f["item"]["key"])
        if f["change"] == "moved_later":
            marks[ref] = f"moved {f['iterations_moved']} later (planned {f['baseline_iteration']})"
        elif f["change"] == "moved_earlier":
            moved = -f["iterations_moved"]
            marks[ref] = f"moved {moved} earlier (planned {f['baseline_iteration']})"
    for a in drift["added"]:
        marks[(a["item"]["source"], a["item"]["key"])] = "added after the baseline"
    return marks


def _asset(name: str) -> str:
    return files("reports").joinpath("templates", name).read_text(encoding="utf-8")
