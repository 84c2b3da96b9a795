"""Benchmark: the program board of one PI on the generated train (100,000 items, SQLite).

    nice -n 10 .venv/bin/python tests/benchmarks/bench_board.py
    .venv/bin/python tests/benchmarks/bench_board.py --items 10000 --links 2000 --keep /tmp/b.db

The train is ``bench_reports.generate``'s (8 PIs of six iterations, 10 teams, 20,000 links);
every ``--feature-every``-th item (default 24) is a feature, so PI 8 holds about 400 feature
cards and 300 strings, and every 500th item is a PI objective. The board of PI 8 is built as
of the generator's now (its 4th iteration) and 45 days earlier, each in a fresh process: the
model (with the drift and objectives layers and the header), JSON and HTML rendering are
timed apart, and the sizes, cards, strings and stubs printed; once more with the drift layer
on a stored (frozen) copy of the default baseline instead of reconstructing it. With Chromium
available (``board_browser``) the page is then opened headless and the time until its strings
are drawn printed. Aim: under 2 s and under 5 MB. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reports"))
sys.path.insert(0, str(HERE.parents[1]))

from bench_reports import NOW, _rss_kb, build  # noqa: E402

STORED = "planning"


def prepare(url: str, items: int, links: int, every: int) -> float:
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from model.db import open_engine
    from model.tables import PI, WorkItem
    from reports.plan import default_baseline_at, find_pi, plan_at
    from reports.state import ReportContext, load_train
    from sync.commands.baseline import _rows

    took = build(url, items, links, 0)
    engine = open_engine(url)
    with Session(engine) as session:
        session.execute(update(WorkItem).where(WorkItem.id % every == 0).values(type="feature"))
        session.execute(
            update(WorkItem)
            .where(WorkItem.id % 500 == 1)
            .values(objective=True, business_value=8, actual_business_value=6)
        )
        session.commit()
        ctx = ReportContext(train="Bench ART", as_of=NOW, now=NOW)
        train = load_train(session, ctx.train)
        at = default_baseline_at(session, train, find_pi(train, "PI 8"))
        pi_id = session.scalar(select(PI.id).where(PI.name == "PI 8"))
        assert pi_id is not None
        session.add(_rows(plan_at(session, ctx, "PI 8", at), pi_id, STORED, NOW))
        session.commit()  # the same baseline, frozen: what --baseline NAME reads
    engine.dispose()
    return took


def in_browser(url: str, folder: Path) -> None:
    """Open the board of PI 8 in headless Chromium: time to drawn strings, problems seen."""
    from board_browser import browser_page, unavailable
    from sqlalchemy.orm import Session

    from model.db import create_db_engine
    from reports.board import board_report, render_board
    from reports.state import ReportContext

    reason = unavailable()
    if reason is not None:
        print(f"browser: skipped ({reason})")
        return
    ctx = ReportContext(train="Bench ART", as_of=NOW, now=NOW, sources=("jira", "github"))
    with Session(create_db_engine(url)) as session:
        html = render_board(board_report(session, ctx, "PI 8"), "html")
    path = folder / "board.html"
    path.write_text(html, encoding="utf-8")
    with browser_page() as page:
        began = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-board-ready]")
        ready = time.perf_counter() - began
        drawn = page.evaluate("document.querySelectorAll('#strings-layer path').length")
        began = time.perf_counter()
        page.select_option("#f-team", "Team 03")
        page.evaluate("1")
        refilter = time.perf_counter() - began
        print(
            f"browser: loaded and drawn in {ready:.2f} s ({drawn} strings), team filter "
            f"{refilter:.2f} s, {len(page.problems)} console problems"
        )


def run_one(url: str, as_of: str, baseline: str) -> None:
    """In a child process: build and render the board, print figures as JSON."""
    from sqlalchemy.orm import Session

    from model.db import create_db_engine
    from reports.board import board_dict, board_report
    from reports.board.render import render_html
    from reports.state import ReportContext

    engine = create_db_engine(url)
    with engine.connect() as conn:  # connect outside the timing
        conn.exec_driver_sql("select 1")
    ctx = ReportContext(
        train="Bench ART", as_of=datetime.fromisoformat(as_of), now=NOW, sources=("jira", "github")
    )
    began = time.perf_counter()
    with Session(engine) as session:
        report = board_report(session, ctx, "PI 8", baseline=baseline or None)
    built = time.perf_counter()
    doc = board_dict(report)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    jsoned = time.perf_counter()
    html = render_html(doc, report.timezone)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "model": built - began,
                "json": jsoned - built,
                "html": done - jsoned,
                "total": (built - began) + (done - jsoned),
                "html_mb": len(html.encode()) / 1e6,
                "json_mb": len(text.encode()) / 1e6,
                "cards": len(doc["cards"]),
                "strings": len(doc["dependencies"]),
                "stubs": len(doc["stubs"]),
                "peak_mb": _rss_kb("VmHWM") / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--feature-every", type=int, default=24)
    parser.add_argument("--keep", metavar="PATH", help="build the SQLite file here and keep it")
    parser.add_argument(
        "--run", nargs=3, metavar=("URL", "AS_OF", "BASELINE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            took = prepare(url, args.items, args.links, args.feature_every)
            print(f"built {args.items} items, {args.links} links in {took:.1f} s")
        runs = ((NOW, ""), (NOW, STORED), (NOW - timedelta(days=45), ""))
        for as_of, baseline in runs:
            out = subprocess.run(
                [sys.executable, __file__, "--run", url, as_of.isoformat(), baseline],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            fig = json.loads(out.strip().splitlines()[-1])
            when = "now" if as_of == NOW else "--as-of -45d"
            when += ", stored baseline" if baseline else ""
            print(
                f"board PI 8 {when:24} model {fig['model']:.2f} s + HTML {fig['html']:.2f} s "
                f"= {fig['total']:.2f} s (JSON {fig['json']:.2f} s); HTML {fig['html_mb']:.2f} MB, "
                f"JSON {fig['json_mb']:.2f} MB; {fig['cards']} cards, {fig['strings']} strings, "
                f"{fig['stubs']} stubs; peak RSS {fig['peak_mb']:.0f} MB",
                flush=True,
            )
        in_browser(url, Path(tmp))


if __name__ == "__main__":
    main()
