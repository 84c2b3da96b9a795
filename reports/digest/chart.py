"""The digest's inline chart: open dependencies by age bucket per providing team (PNG).

Drawn with matplotlib on the Agg backend (no display, no network, no fonts fetched); the
figure is built with the object API, never pyplot, so nothing global is touched and threads
(the service's scheduler) can draw at the same time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

BUCKET_COLOURS = ("#9ecae1", "#4292c6", "#f16913", "#cb181d")  # young → old
WIDTH_INCHES, DPI = 6.4, 100


def age_chart_png(buckets: Sequence[tuple[str, Sequence[tuple[str, int]]]]) -> bytes | None:
    """A horizontal stacked bar per team (its open dependencies by age), or None when empty."""
    if not any(count for _, row in buckets for _, count in row):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # "$" starts matplotlib's mathtext: a team named "A$B$" must be drawn as written
    teams = [team.replace("$", r"\$") for team, _ in buckets][::-1]  # first team on top
    names = [name for name, _ in buckets[0][1]]
    height = 1.2 + 0.45 * len(teams)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    left = [0] * len(teams)
    rows = [dict(row) for _, row in buckets][::-1]
    for name, colour in zip(names, BUCKET_COLOURS, strict=False):
        counts = [row.get(name, 0) for row in rows]
        axes.barh(teams, counts, left=left, color=colour, label=f"{name} days")
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_xlabel("open dependencies (by the team that provides)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(names),
        fontsize="small",
        frameon=False,
    )
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
