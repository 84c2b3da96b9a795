"""Benchmark: the RTE digest on the generated train of ``bench_reports`` (100,000 items).

    .venv/bin/python tests/benchmarks/bench_digest.py                  # SQLite
    .venv/bin/python tests/benchmarks/bench_digest.py --items 10000 --links 2000
    .venv/bin/python tests/benchmarks/bench_digest.py --url postgresql+psycopg://...

Times the parts of one digest run as of ``bench_reports.NOW`` with the previous digest a week
earlier: gathering the report objects (dependencies and blocked, now and then), composing the
train's digest and every team's slice, rendering text and HTML, drawing the chart and
building the MIME message. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from bench_reports import NOW, TEAMS, build  # noqa: E402


def measure(url: str) -> None:
    from sqlalchemy.orm import Session

    from model.db import create_db_engine
    from reports.digest import (
        DigestSettings,
        age_chart_png,
        compose,
        gather,
        render_html,
        render_text,
    )
    from reports.state import ReportContext
    from sync.mail.message import build_message

    engine = create_db_engine(url)
    ctx = ReportContext(train="Bench ART", as_of=NOW, now=NOW, sources=("jira", "github"))
    with Session(engine) as session:
        began = time.perf_counter()
        facts = gather(session, ctx, NOW - timedelta(days=7), "Europe/Berlin")
        gathered = time.perf_counter()
    digests = [compose(facts, DigestSettings(), {})]
    digests += [compose(facts, DigestSettings(team=team), {}) for team in TEAMS]
    composed = time.perf_counter()
    text = render_text(digests[0])
    html = render_html(digests[0], "chart@x")
    rendered = time.perf_counter()
    png = age_chart_png(digests[0].age_buckets) or b""
    drawn = time.perf_counter()
    message = build_message(
        digests[0], sender="ty@x.example", to=("rte@x.example",), message_id="<m@x>",
        period="2026-10-20", now=NOW,
    ).as_bytes()  # fmt: skip
    built = time.perf_counter()
    c = digests[0].changes
    print(f"  gather (4 reports)        {gathered - began:6.2f} s")
    print(f"  compose train + {len(TEAMS)} slices {composed - gathered:6.2f} s")
    print(
        f"  render text + html        {rendered - composed:6.2f} s  "
        f"({len(text)} + {len(html)} chars)"
    )
    print(f"  chart PNG                 {drawn - rendered:6.2f} s  ({len(png)} bytes)")
    print(f"  MIME message (again)      {built - drawn:6.2f} s  ({len(message)} bytes)")
    print(
        f"  open {digests[0].open_dependencies}, red {digests[0].red_dependencies}, "
        f"new {c.new_dependencies.total}, resolved {c.resolved_dependencies.total}, "
        f"newly blocked {c.newly_blocked.total}, unblocked {c.unblocked.total}, "
        f"stalled {c.newly_stalled.total}"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--url", help="an empty database to fill (default: a temporary SQLite)")
    args = parser.parse_args()
    print(f"train: {args.items} items, {args.links} links")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        print(f"generated and stored in {build(url, args.items, args.links, 0):.1f} s")
        measure(url)


if __name__ == "__main__":
    main()
