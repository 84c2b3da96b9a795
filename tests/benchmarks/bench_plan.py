"""Benchmark: the PI reports (drift, predictability) and baseline freezing on the generated train.

    .venv/bin/python tests/benchmarks/bench_plan.py                   # 100,000 items, SQLite
    .venv/bin/python tests/benchmarks/bench_plan.py --items 10000 --links 2000

The train is ``bench_reports.generate``'s (8 PIs, 10 teams, 100,000 items, 20,000 links); every
10th item is made a feature and every 500th a PI objective with business values, then drift and
predictability of the last PI run as of its 4th iteration, and a baseline is frozen. Prints wall
times and output sizes. Figures, not assertions.
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
sys.path.insert(0, str(HERE.parent / "reports"))
sys.path.insert(0, str(HERE.parents[1]))

from bench_reports import NOW, build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=20_000)
    args = parser.parse_args()

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from model.db import open_engine
    from model.tables import PI, WorkItem
    from reports.drift import drift_report
    from reports.plan import plan_at
    from reports.plan_render import render_plan
    from reports.predictability import predictability_report
    from reports.state import ReportContext
    from sync.commands.baseline import _rows

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        took = build(url, args.items, args.links, 0)
        print(f"built {args.items} items, {args.links} links in {took:.1f} s")
        engine = open_engine(url)
        with Session(engine) as session:
            session.execute(update(WorkItem).where(WorkItem.id % 10 == 0).values(type="feature"))
            session.execute(
                update(WorkItem)
                .where(WorkItem.id % 500 == 1)
                .values(objective=True, business_value=8, actual_business_value=6)
            )
            session.commit()
            ctx = ReportContext(train="Bench ART", as_of=NOW, now=NOW)
            for name, fn in (("drift", drift_report), ("predictability", predictability_report)):
                began = time.perf_counter()
                report = fn(session, ctx, "PI 8")
                html = render_plan(report, "html")
                elapsed = time.perf_counter() - began
                print(f"{name}: {elapsed:.2f} s, HTML {len(html.encode()) / 1e6:.2f} MB")
            began = time.perf_counter()
            pi_id = session.query(PI.id).filter(PI.name == "PI 8").scalar()
            at = NOW - timedelta(days=40)
            plan = plan_at(session, ctx, "PI 8", at)
            session.add(_rows(plan, pi_id, "bench", NOW))
            session.commit()
            print(
                f"baseline freeze: {time.perf_counter() - began:.2f} s, "
                f"{len(plan.items)} features, {len(plan.dependencies)} dependencies"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
