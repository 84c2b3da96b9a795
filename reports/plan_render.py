"""Renderers of the PI reports (drift, predictability) and the board layers' JSON shapes.

Same conventions as ``reports.render`` (whose header, ITEM and hygiene shapes these reuse):
JSON keeps UTC ISO-8601 with ``Z``; CSV is the main table (features for drift, the team rows
for predictability); Markdown and HTML carry everything, show times in the train's time zone
to the minute ("Tue 6 Jan 00:00 CET"), escape every tracker string (Jinja2 autoescape, ``|cell``
in Markdown) and link only http(s) URLs.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from reports.drift import DriftReport, drift_layer_dict
from reports.objectives import objective_dict, objectives_layer_dict
from reports.predictability import BAND, PredictabilityReport
from reports.render import _extras, _header_dict, environment
from reports.views import iso

PlanReport = DriftReport | PredictabilityReport
__all__ = ["drift_layer_dict", "objective_dict", "objectives_layer_dict", "render_plan", "to_dict"]


# -- JSON ----------------------------------------------------------------------------------------


def to_dict(report: PlanReport) -> dict[str, Any]:
    if isinstance(report, DriftReport):
        out = _header_dict("drift", report.header)
        out.update(drift_layer_dict(report.layer))
    else:
        out = _header_dict("predictability", report.header)
        out["pi"] = report.pi
        out["measured_at"] = iso(report.measured_at)
        out["baseline_at"] = iso(report.baseline_at)
        out["band"] = {"low": BAND[0], "high": BAND[1]}
        out["rows"] = [
            {
                "team": r.team,
                "train": r.train,
                "committed": r.committed,
                "uncommitted": r.uncommitted,
                "achieved": r.achieved,
                "planned_business_value": r.planned_business_value,
                "actual_business_value": r.actual_business_value,
                "predictability_percent": r.predictability_percent,
                "band": r.band,
                "features_planned": r.features_planned,
                "features_done": r.features_done,
                "features_done_percent": r.features_done_percent,
            }
            for r in report.rows
        ]
        out["objectives"] = objectives_layer_dict(report.objectives)["teams"]
    out.update(_extras(report.header, report.hygiene))
    return out


# -- text formats --------------------------------------------------------------------------------


def render_plan(report: PlanReport, fmt: str) -> str:
    """The report as text in ``fmt`` (json, csv, md, html)."""
    doc = to_dict(report)
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return _csv(doc)
    if fmt in ("md", "html"):
        template = environment(fmt).get_template(f"{doc['report']}.{fmt}.j2")
        return template.render(doc=doc, tz=report.timezone)
    raise ValueError(f"unknown format {fmt!r}; use one of: json, csv, md, html")


CSV_HEADERS = {
    "drift": ["key", "source", "title", "team", "baseline_iteration", "iteration", "change",
              "iterations_moved", "done", "done_on_time"],
    "predictability": ["team", "train", "committed", "uncommitted", "achieved",
                       "planned_business_value", "actual_business_value",
                       "predictability_percent", "band", "features_planned", "features_done",
                       "features_done_percent"],
}  # fmt: skip


def _csv(doc: dict[str, Any]) -> str:
    name = doc["report"]
    if name == "drift":
        rows = [
            {
                "key": f["item"]["key"], "source": f["item"]["source"],
                "title": f["item"]["title"], "team": f["item"]["team"],
                "baseline_iteration": f["baseline_iteration"],
                "iteration": f["item"]["iteration"], "change": f["change"],
                "iterations_moved": f["iterations_moved"], "done": f["done"],
                "done_on_time": f["done_on_time"],
            }
            for f in doc["features"]
        ]  # fmt: skip
    else:
        rows = list(doc["rows"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_HEADERS[name], lineterminator="\n")
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
