"""The RTE digest: what changed since the last one, what is aging, who blocks whom.

Pure: ``compose.gather`` runs the reports (now and as of the previous digest), ``compose``
diffs them into the dataclasses of ``model``; ``render`` turns those into plain text and
mail HTML, ``chart`` into a PNG. Sending is ``sync.mail``'s job.
"""

from __future__ import annotations

from reports.digest.chart import age_chart_png
from reports.digest.compose import DigestSettings, Facts, compose, gather
from reports.digest.model import Digest, SourceRun
from reports.digest.render import render_html, render_text, subject

__all__ = [
    "Digest",
    "DigestSettings",
    "Facts",
    "SourceRun",
    "age_chart_png",
    "compose",
    "gather",
    "render_html",
    "render_text",
    "subject",
]
